"""The issue's done-when, by hand: a chat to a real `ogkit gateway --rpc --payments-rpc`
process (an x402 exact payment signed here), answered, TEE-signed, paid and settled; then
`ogkit llm verify --strict` (the real command, the chains only plus the gateway for the fresh
attestation and the batch proof) confirms every check: hashes, enclave, attestation,
settlement and payment. A payment check against the wrong payee fails."""

from __future__ import annotations

import json
import ssl
import subprocess
import time

import httpx
import pytest
from node_support import DEV_KEYS, ROOT
from payment_support import Payer
from web3 import Web3
from x402_gateway_support import (
    CHAT,
    HELLO,
    GatewayProcess,
    by_scheme,
    decode,
    encode,
    exact_payload,
)

from ogkit.llm.verify import verify_response

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
REQUEST = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 12}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, node, pay_node, model_store):
    args = ["--port", "0", "--rpc", node.url, "--payments-rpc", pay_node.url]
    args += ["--settle-interval", "0.5", "--model-store", str(model_store.root)]
    process = GatewayProcess(tmp_path_factory.mktemp("gw"), *args)
    yield process
    process.stop()


def _paid_chat(gateway, pay_node, settlement_type: str) -> tuple[dict, dict]:
    """(answer, its settlement record) of one exact-paid chat, once settled."""
    payer = Payer(Web3(Web3.HTTPProvider(pay_node.url)), DEV_KEYS[4])
    context = ssl._create_unverified_context()  # verify pins the registry's certificate
    with httpx.Client(verify=context, timeout=60) as client:
        required = decode(client.post(gateway.url + CHAT, json=REQUEST).headers["PAYMENT-REQUIRED"])
        payload = exact_payload(
            payer, by_scheme(required["accepts"], "exact"), required["resource"]["url"]
        )
        headers = {"PAYMENT-SIGNATURE": encode(payload), "X-SETTLEMENT-TYPE": settlement_type}
        reply = client.post(gateway.url + CHAT, json=REQUEST, headers=headers)
        assert reply.status_code == 200, reply.text
        job = reply.headers["X-Settlement-Job-ID"]
        deadline = time.monotonic() + 60
        while (status := client.get(f"{gateway.url}/v1/settlements/{job}").json())[
            "status"
        ] == "pending" and time.monotonic() < deadline:
            time.sleep(0.25)
    assert status["status"] == "settled" and status["payment"]["tx"], status
    return reply.json(), status


@pytest.mark.parametrize("settlement_type", ["batch", "individual"])
def test_a_paid_answer_is_confirmed_by_every_check(
    gateway, node, pay_node, settlement_type, tmp_path
):
    answer, status = _paid_chat(gateway, pay_node, settlement_type)
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    (tmp_path / "request.json").write_text(json.dumps(REQUEST))
    args = [str(OGKIT), "llm", "verify", str(tmp_path / "answer.json"), "--request"]
    args += [str(tmp_path / "request.json"), "--rpc", node.url, "--gateway", gateway.url]
    args += ["--payment-rpc", pay_node.url, "--strict", "--json"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        (name, "passed")
        for name in (
            "request_hash",
            "output_hash",
            "tee_registry",
            "signature",
            "attestation_registered",
            "attestation_fresh",
            "settlement",
            "payment",
        )
    ]
    payment = report["checks"][-1]["detail"]
    assert payment.startswith(
        f"{status['payment']['amount']} OPG from {status['payment']['payer']}"
    )
    assert "through an EIP-3009 authorization" in payment


def test_a_payment_to_another_payee_fails(gateway, node, pay_node):
    answer, _ = _paid_chat(gateway, pay_node, "batch")
    w3, pay_w3 = (Web3(Web3.HTTPProvider(n.url)) for n in (node, pay_node))
    other = Web3.to_checksum_address("0x" + "12" * 20)
    report = verify_response(
        answer, w3=w3, request=REQUEST, gateway_url=gateway.url, payment_w3=pay_w3, payee=other
    )
    assert report.check("payment").status == "failed"
    assert f"to {other}" in report.check("payment").detail
    assert report.check("settlement").status == "passed"
