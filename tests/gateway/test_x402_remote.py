"""The gateway paid through a facilitator it calls over HTTP (`ogkit facilitator`'s server,
ogkit/payments/facilitator_http.py) instead of one in its process: the same 402, payment,
exact amount and refusals; `--facilitator-url` wires it, and an unreachable one is refused."""

from __future__ import annotations

import time

import click
import pytest
from gateway_support import call, serve
from node_support import DEV_KEYS, free_port
from payment_support import PAY_TO, Ledger, Payer, opg_transfers
from web3 import Web3
from x402_gateway_support import (
    CHAT,
    HELLO,
    HELLO_REPLY,
    by_scheme,
    decode,
    encode,
    exact_payload,
    offers_for,
)

from ogkit.cli.gateway_payments import PaymentChoice, make_gate
from ogkit.gateway import GatewayModels
from ogkit.gateway.remote_facilitator import RemoteFacilitator
from ogkit.gateway.x402_gate import X402Gate, prompt_counter
from ogkit.payments.contracts import OPG_ADDRESS, facilitator_address, opg_abi
from ogkit.payments.facilitator import Facilitator
from ogkit.payments.facilitator_http import serve as serve_facilitator

BODY = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40}
QUOTE = 7 * 10**12 + 40 * 4 * 10**12


@pytest.fixture(scope="module")
def facilitator_server(pay_node):
    server = serve_facilitator(Facilitator(pay_node.url))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def gateway(facilitator_server, inference_node):
    models = GatewayModels(inference_node.llm_engine)
    remote = RemoteFacilitator(facilitator_server.url)
    server = serve(inference_node, tls=False, gate=X402Gate(remote, PAY_TO, prompt_counter(models)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def opg(pay_node):
    w3 = Web3(Web3.HTTPProvider(pay_node.url, request_kwargs={"timeout": 60}))
    return w3.eth.contract(OPG_ADDRESS, abi=opg_abi())


def test_the_remote_names_its_settling_account(facilitator_server):
    assert RemoteFacilitator(facilitator_server.url).address == facilitator_address()


def test_paid_through_a_remote_facilitator(gateway, opg, inference_node):
    payer = Payer(opg.w3, DEV_KEYS[3])
    resource, offers = offers_for(gateway, CHAT, BODY)
    assert by_scheme(offers, "upto")["extra"]["facilitatorAddress"] == facilitator_address()
    payload = exact_payload(payer, by_scheme(offers, "exact"), resource)
    ledger = Ledger(opg, payer.address, PAY_TO)
    status, headers, body = call(gateway, CHAT, BODY, {"PAYMENT-SIGNATURE": encode(payload)})
    assert status == 200 and body["choices"][0]["message"]["content"] == HELLO_REPLY
    paid = decode(headers["payment-response"])
    receipt = opg.w3.eth.get_transaction_receipt(paid["transaction"])
    assert opg_transfers(receipt) == [(payer.address.lower(), PAY_TO.lower(), QUOTE)]
    assert ledger.moved() == [-QUOTE, QUOTE]
    job = headers["x-settlement-job-id"]
    assert inference_node.book.get(job).payment["tx"] == paid["transaction"]
    # replayed, and expired: refused by the remote with its words, nothing moves
    for attack, words in [
        (payload, "replayed"),
        (exact_payload(payer, by_scheme(offers, "exact"), resource, valid_before=1), "expired"),
    ]:
        status, _, reply = call(gateway, CHAT, BODY, {"PAYMENT-SIGNATURE": encode(attack)})
        assert status == 402 and reply["error"].startswith(words), reply
    assert ledger.moved() == [-QUOTE, QUOTE]


def test_facilitator_url_option(facilitator_server, inference_node):
    models = GatewayModels(inference_node.llm_engine)
    url = facilitator_server.url
    gate, local, line = make_gate(PaymentChoice(facilitator_url=url), models)
    assert local is None and isinstance(gate.facilitator, RemoteFacilitator)
    assert f"in OPG on eip155:8453 via {url}; pay to" in line
    with pytest.raises(click.UsageError, match="choose one of --payments-rpc, --facilitator-url"):
        make_gate(PaymentChoice(payments_rpc="http://x", facilitator_url=url), models)
    nowhere = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(click.ClickException, match=f"cannot use the facilitator: {nowhere}"):
        make_gate(PaymentChoice(facilitator_url=nowhere), models)
    assert time.monotonic() - start < 10
