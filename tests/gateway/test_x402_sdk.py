"""OpenGradient's own LLM client (`opengradient` 1.1.4 in .venv-sdk, its og-x402 client) pays a
real `ogkit gateway --payments-rpc` process with only URLs changed: the AI chain's (`rpc_url`,
the registry finds the gateway) and the payment chain's (`BASE_MAINNET_RPC`). Its chat, stream
and completion are answered; the payment chain shows its Permit2 approval and one OPG Transfer
per call of exactly what the pricing says (upto: the tokens used; exact, via `LLM.from_url` to
an `--scheme exact` gateway: the quote); the answers settle on the AI chain at the relay; a
plain HTTPS client (pinned to the registry's certificate) pays by hand and finds its payment
reference in `GET /v1/settlements/{job}`."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from node_support import DEV_KEYS, ROOT
from payment_support import Payer
from web3 import Web3
from x402_gateway_support import (
    CHAT,
    HELLO,
    HELLO_REPLY,
    GatewayProcess,
    by_scheme,
    decode,
    encode,
    exact_payload,
)

from ogkit.chain.tee_registry_genesis import (
    LLM_SETTLEMENT_RELAY_ADDRESS,
    TEE_OPERATOR_KEY,
    TEE_REGISTRY_ADDRESS,
)
from ogkit.contracts import load
from ogkit.payments.contracts import NETWORK, OPG_ADDRESS, TRANSFER_TOPIC, opg_abi

SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "llm_gateway_paid.py"
MODEL = "ogkit/tiny-llm"
PAY_TO = Account.from_key(TEE_OPERATOR_KEY).address
"""`ogkit gateway`'s default payee: the TEE operator, the registry's paymentAddress."""
IN, OUT = 10**12, 4 * 10**12
"""The gateway's default prices (atomic OPG per prompt / generated token)."""
CHAT_CHARGE = 7 * IN + 16 * OUT
"""upto, "Hello!" (7 prompt tokens) answered in 16 tokens."""
COMPLETION_CHARGE = 11 * IN + 16 * OUT
"""upto, "The quick brown fox" (11 prompt tokens) continued in 16 tokens."""
CHAT_QUOTE, COMPLETION_QUOTE = 7 * IN + 40 * OUT, 11 * IN + 40 * OUT
"""exact: the prompt and all 40 tokens the SDK's calls allow."""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, node, pay_node, model_store):
    """Registered on the AI chain, paid on the payment chain, upto first (the defaults)."""
    args = ["--port", "0", "--rpc", node.url, "--payments-rpc", pay_node.url]
    process = GatewayProcess(
        tmp_path_factory.mktemp("gw"), *args, "--model-store", str(model_store.root)
    )
    yield process
    process.stop()


def _sdk(sdk_python: Path, pay_node, *args: str) -> dict:
    done = subprocess.run(
        [str(sdk_python), str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BASE_MAINNET_RPC": pay_node.url},
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _transfers(w3: Web3, payer: str, from_block: int) -> list[tuple[str, int]]:
    """(to, value) of the OPG Transfers out of `payer` since `from_block`, in order."""
    logs = w3.eth.get_logs(
        {
            "address": OPG_ADDRESS,
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": [TRANSFER_TOPIC, "0x" + bytes(12).hex() + payer[2:].lower()],
        }
    )
    return [
        (Web3.to_checksum_address(bytes(log["topics"][2])[-20:]), int.from_bytes(log["data"]))
        for log in logs
    ]


def test_the_banner_says_how_it_is_paid(gateway, pay_node):
    assert f"Payment: x402 (upto, exact) in OPG on eip155:8453 at {pay_node.url}" in gateway.log()
    assert f"pay to {PAY_TO}; price {IN}:{OUT} per token" in gateway.log()


def test_sdk_pays_upto_with_only_the_urls_changed(sdk_python, node, pay_node, pay_w3, gateway):
    payer = Account.from_key(DEV_KEYS[5]).address
    start = pay_w3.eth.block_number
    answers = _sdk(sdk_python, pay_node, "registry", node.url, DEV_KEYS[5], MODEL)
    assert answers["chat"] == {"role": "assistant", "content": HELLO_REPLY}
    assert answers["stream_text"] == HELLO_REPLY
    assert answers["completion"] == " jumps over the lazy dog."
    assert answers["chat_signature"] and answers["completion_signature"]
    assert answers["tee_endpoint"] == gateway.url
    approval = pay_w3.eth.get_transaction_receipt(answers["approval_tx"])
    assert approval.status == 1 and approval.blockNumber > start
    assert _transfers(pay_w3, payer, start) == [
        (PAY_TO, CHAT_CHARGE),
        (PAY_TO, CHAT_CHARGE),
        (PAY_TO, COMPLETION_CHARGE),
    ]


def _pinned(w3) -> ssl.SSLContext:
    registry = w3.eth.contract(address=TEE_REGISTRY_ADDRESS, abi=load("TEERegistry").abi)
    (tee,) = registry.functions.getActiveTEEs(0).call()
    context = ssl.create_default_context(cadata=tee[4])  # the registry's certificate only
    context.check_hostname = False
    return context


def test_refused_calls_move_nothing_and_settle_nothing(w3, pay_w3, gateway):
    """Unpaid, expired and replayed-over-the-wire calls to the registered gateway: 402s, no
    Transfer; the next test counts exactly the SDK's 3 answers settled on the AI chain."""
    payer = Payer(pay_w3, DEV_KEYS[2])
    start = pay_w3.eth.block_number
    body = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40}
    with httpx.Client(verify=_pinned(w3), timeout=60) as client:
        unpaid = client.post(gateway.url + CHAT, json=body)
        required = decode(unpaid.headers["PAYMENT-REQUIRED"])
        offer = by_scheme(required["accepts"], "exact")
        expired = exact_payload(payer, offer, required["resource"]["url"], valid_before=1)
        late = client.post(
            gateway.url + CHAT, json=body, headers={"PAYMENT-SIGNATURE": encode(expired)}
        )
    assert (unpaid.status_code, unpaid.json()["error"]) == (402, "payment required")
    assert late.status_code == 402 and late.json()["error"].startswith("expired")
    assert _transfers(pay_w3, payer.address, start) == []


def test_the_sdks_paid_answers_settle_on_the_ai_chain(w3, gateway):
    relay = w3.eth.contract(
        address=LLM_SETTLEMENT_RELAY_ADDRESS, abi=load("InferenceSettlementRelay").abi
    )
    deadline = time.monotonic() + 60
    while True:
        batches = relay.events.BatchSettlement().get_logs(from_block=0)
        if sum(b.args.batchSize for b in batches) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert sum(b.args.batchSize for b in batches) == 3, gateway.log()


def test_a_pinned_https_client_pays_by_hand_and_its_settlement_names_the_payment(
    w3, pay_w3, gateway
):
    context = _pinned(w3)
    payer = Payer(pay_w3, DEV_KEYS[3])
    body = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40}
    with httpx.Client(verify=context, timeout=60) as client:
        refused = client.post(gateway.url + CHAT, json=body)
        assert refused.status_code == 402
        required = decode(refused.headers["PAYMENT-REQUIRED"])
        offer = by_scheme(required["accepts"], "exact")
        payload = exact_payload(payer, offer, required["resource"]["url"])
        headers = {"PAYMENT-SIGNATURE": encode(payload), "X-SETTLEMENT-TYPE": "individual"}
        reply = client.post(gateway.url + CHAT, json=body, headers=headers)
        assert reply.status_code == 200, reply.text
        paid = decode(reply.headers["PAYMENT-RESPONSE"])
        job = reply.headers["X-Settlement-Job-ID"]
        deadline = time.monotonic() + 60
        while (status := client.get(f"{gateway.url}/v1/settlements/{job}").json())[
            "status"
        ] == "pending" and time.monotonic() < deadline:
            time.sleep(0.5)
    assert status["status"] == "settled", status
    assert status["payment"] == {
        "network": NETWORK,
        "tx": paid["transaction"],
        "amount": str(CHAT_QUOTE),
        "payer": payer.address,
        "scheme": "exact",
    }
    receipt = pay_w3.eth.get_transaction_receipt(paid["transaction"])
    opg = pay_w3.eth.contract(OPG_ADDRESS, abi=opg_abi())
    (transfer,) = opg.events.Transfer().process_receipt(receipt)
    assert (transfer.args["from"], transfer.args.to, transfer.args.value) == (
        payer.address,
        PAY_TO,
        CHAT_QUOTE,
    )
    relay = w3.eth.contract(
        address=LLM_SETTLEMENT_RELAY_ADDRESS, abi=load("InferenceSettlementRelay").abi
    )
    settled = w3.eth.get_transaction_receipt(status["tx_hash"])
    (event,) = relay.events.IndividualSettlement().process_receipt(settled)
    assert event.args.outputHash.hex() == reply.json()["tee_output_hash"]


def test_sdk_pays_exact_through_from_url(tmp_path, sdk_python, pay_node, pay_w3, model_store):
    """A gateway that offers exact only (no registry): the SDK's x402 client signs EIP-3009
    for the quote; `ensure_opg_approval` is not needed, and is called anyway, as users do."""
    args = ["--port", "0", "--payments-rpc", pay_node.url, "--scheme", "exact"]
    process = GatewayProcess(tmp_path, *args, "--model-store", str(model_store.root))
    try:
        assert "Payment: x402 (exact) in OPG" in process.log()
        payer = Account.from_key(DEV_KEYS[4]).address
        start = pay_w3.eth.block_number
        answers = _sdk(sdk_python, pay_node, "url", process.url, DEV_KEYS[4], MODEL)
    finally:
        process.stop()
    assert answers["chat"]["content"] == HELLO_REPLY
    assert answers["completion"] == " jumps over the lazy dog."
    assert _transfers(pay_w3, payer, start) == [
        (PAY_TO, CHAT_QUOTE),
        (PAY_TO, CHAT_QUOTE),
        (PAY_TO, COMPLETION_QUOTE),
    ]
