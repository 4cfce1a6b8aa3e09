"""The x402 gate in `ogkit gateway`, over `ogkit node --payments` (a real process) and the
gateway in-process on plain HTTP: a 402 names the price; a plain HTTP client that signs
EIP-3009 by hand and upstream x402's own client pay and are answered with PAYMENT-RESPONSE;
the OPG moved is exactly what the pricing says (exact: the quote; upto: the tokens used); the
record keeps the payment reference and `GET /v1/settlements/{job}` shows it. Every attack is
refused with its reason, and moves nothing and records nothing."""

from __future__ import annotations

import json
import socket
import time

import pytest
from gateway_support import call, serve, sse_events
from node_support import DEV_KEYS, NodeProcess
from payment_support import PAY_TO, Payer, opg_transfers
from web3 import Web3
from x402 import x402ClientSync
from x402.client_base import x402ClientConfig
from x402.http.clients.requests import x402_requests
from x402.mechanisms.evm.exact.client import ExactEvmScheme
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto import UptoEvmClientScheme
from x402_gateway_support import (
    CHAT,
    HELLO,
    HELLO_REPLY,
    Ledger,
    by_scheme,
    decode,
    encode,
    exact_payload,
    offers_for,
)

from ogkit.gateway import GatewayModels
from ogkit.gateway.x402_gate import X402Gate, prompt_counter
from ogkit.payments.contracts import NETWORK, OPG_ADDRESS, PERMIT2_ADDRESS, opg_abi
from ogkit.payments.facilitator import Facilitator
from ogkit.payments.pricing import PriceList, TokenPrice

PRICE = TokenPrice(input=10**12, output=4 * 10**12)
CHAT_BODY = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40}
HELLO_PROMPT_TOKENS = 7
HELLO_REPLY_TOKENS = 16
QUOTE = HELLO_PROMPT_TOKENS * 10**12 + 40 * 4 * 10**12
"""What a 40-token chat of "Hello!" costs at most: exact's price, upto's cap."""
CHARGE = HELLO_PROMPT_TOKENS * 10**12 + HELLO_REPLY_TOKENS * 4 * 10**12
"""What upto charges for the tiny LLM's 16-token reply."""


@pytest.fixture(scope="module")
def pay_node(tmp_path_factory):
    process = NodeProcess(tmp_path_factory.mktemp("pay-node"), "--payments").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def opg(pay_node):
    w3 = Web3(Web3.HTTPProvider(pay_node.url, request_kwargs={"timeout": 60}))
    return w3.eth.contract(OPG_ADDRESS, abi=opg_abi())


@pytest.fixture(scope="module")
def payer(opg):
    """Dev account 1, its OPG approved to Permit2 (for upto)."""
    made = Payer(opg.w3, DEV_KEYS[1])
    assert made.send(opg.functions.approve(PERMIT2_ADDRESS, 2**256 - 1)).status == 1
    return made


@pytest.fixture(scope="module")
def gate(pay_node, inference_node):
    models = GatewayModels(inference_node.llm_engine)
    return X402Gate(Facilitator(pay_node.url), PAY_TO, prompt_counter(models), PriceList(PRICE))


@pytest.fixture(scope="module")
def gateway(inference_node, gate):
    server = serve(inference_node, tls=False, gate=gate)
    yield server
    server.stop()


def paid_call(server, payload: dict, body: dict = CHAT_BODY, path: str = CHAT):
    return call(server, path, body, {"PAYMENT-SIGNATURE": encode(payload)})


def test_unpaid_is_402_with_upto_then_exact_at_the_quote(gateway, gate, inference_node):
    records = len(inference_node.book)
    status, headers, body = call(gateway, CHAT, CHAT_BODY)
    assert status == 402
    required = decode(headers["payment-required"])
    host, port = gateway.server_address[:2]
    assert required["x402Version"] == 2 and required["error"] == "payment required"
    assert required["resource"]["url"] == f"http://{host}:{port}{CHAT}"
    upto, exact = required["accepts"]
    assert (upto["scheme"], exact["scheme"]) == ("upto", "exact")
    assert upto["amount"] == exact["amount"] == str(QUOTE)
    assert upto["extra"] == {
        "name": "OpenGradient",
        "version": "1",
        "assetTransferMethod": "permit2",
        "facilitatorAddress": gate.facilitator.address,
    }
    assert (exact["network"], exact["asset"], exact["payTo"]) == (NETWORK, OPG_ADDRESS, PAY_TO)
    assert body == required
    assert len(inference_node.book) == records


def test_plain_http_client_pays_exact_by_hand(gateway, opg, payer, inference_node):
    resource, offers = offers_for(gateway, CHAT, CHAT_BODY)
    payload = exact_payload(payer, by_scheme(offers, "exact"), resource)
    ledger = Ledger(opg, payer.address, PAY_TO)
    status, headers, body = paid_call(gateway, payload)
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == HELLO_REPLY
    paid = decode(headers["payment-response"])
    assert paid["success"] and paid["amount"] == str(QUOTE) and paid["network"] == NETWORK
    receipt = opg.w3.eth.get_transaction_receipt(paid["transaction"])
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), QUOTE)]
    assert ledger.moved() == [-QUOTE, QUOTE]
    job = headers["x-settlement-job-id"]
    status, _, settlement = call(gateway, f"/v1/settlements/{job}", method="GET")
    assert settlement["payment"] == {
        "network": NETWORK,
        "tx": paid["transaction"],
        "amount": str(QUOTE),
        "payer": payer.address,
        "scheme": "exact",
    }
    assert inference_node.book.get(job).payment["tx"] == paid["transaction"]


@pytest.fixture(scope="module")
def x402_client(payer):
    """Upstream x402's own client (2.25), allowed to pay in OPG."""
    allowed = {"allowed_assets": [{"network": NETWORK, "asset": OPG_ADDRESS}]}
    made = x402ClientSync.from_config(x402ClientConfig(schemes=[], spend_controls=allowed))
    signer = EthAccountSigner(payer.account)
    made.register(NETWORK, UptoEvmClientScheme(signer))
    made.register(NETWORK, ExactEvmScheme(signer))
    return made


def test_x402s_own_client_pays_upto_for_the_tokens_used(gateway, opg, payer, x402_client):
    ledger = Ledger(opg, payer.address, PAY_TO)
    host, port = gateway.server_address[:2]
    with x402_requests(x402_client) as session:
        reply = session.post(f"http://{host}:{port}{CHAT}", json=CHAT_BODY, timeout=60)
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == HELLO_REPLY
    assert reply.json()["usage"]["completion_tokens"] == HELLO_REPLY_TOKENS
    paid = decode(reply.headers["PAYMENT-RESPONSE"])
    assert (paid["success"], paid["amount"]) == (True, str(CHARGE))
    receipt = opg.w3.eth.get_transaction_receipt(paid["transaction"])
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), CHARGE)]
    assert ledger.moved() == [-CHARGE, CHARGE]
