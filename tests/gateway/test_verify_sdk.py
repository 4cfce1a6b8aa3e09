"""Issue 15's done-when, literally: OpenGradient's own client (`og.LLM(key, rpc_url=<node>)`,
SDK 1.1.4 in .venv-sdk, its default `batch` settlement and `upto` x402 payment) makes a chat
against a real `ogkit gateway --rpc --payments-rpc` process; what the SDK returned (its
answer and tee_* fields: no hashes, no job id) and the request are saved; once settled,
`ogkit llm verify --strict` (the real command) confirms every check: the hashes recomputed,
registry, signature, both attestations, the batch settlement (its Merkle proof found by the
answer's signature, `GET /v1/settlements?tee_signature=`) and the OPG payment. A changed
answer fails. Without `--gateway`, the registry's endpoint for the TEE gives the proof."""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import time
from urllib.parse import quote

import httpx
import pytest
from eth_account import Account
from node_support import DEV_KEYS, ROOT
from web3 import Web3
from x402_gateway_support import GatewayProcess

from ogkit.llm.verify import verify_response

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "llm_output.py"
REQUEST = {
    "model": "tiny-llm",
    "messages": [{"role": "user", "content": "Hello!"}],
    "max_tokens": 40,
    "temperature": 0.0,
}
CHECKS = (
    "tee_fields",
    "request_hash",
    "output_hash",
    "tee_registry",
    "signature",
    "attestation_registered",
    "attestation_fresh",
    "settlement",
    "payment",
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, node, pay_node, model_store):
    args = ["--port", "0", "--rpc", node.url, "--payments-rpc", pay_node.url]
    args += ["--settle-interval", "0.5", "--model-store", str(model_store.root)]
    process = GatewayProcess(tmp_path_factory.mktemp("sdk-gw"), *args)
    yield process
    process.stop()


def _lookup(client: httpx.Client, gateway, signature: str) -> httpx.Response:
    return client.get(f"{gateway.url}/v1/settlements?tee_signature={quote(signature, safe='')}")


@pytest.fixture(scope="module")
def sdk_answer(sdk_python, node, pay_node, gateway, tmp_path_factory):
    """(folder with answer.json and request.json, the SDK's output, its settlement record)."""
    done = subprocess.run(
        [str(sdk_python), str(SCRIPT), node.url, DEV_KEYS[5], "ogkit/tiny-llm", "paid"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BASE_MAINNET_RPC": pay_node.url},
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert "tee_request_hash" not in output and "id" not in output and output["tee_signature"]
    folder = tmp_path_factory.mktemp("sdk-answer")
    (folder / "answer.json").write_text(json.dumps(output))
    (folder / "request.json").write_text(json.dumps(REQUEST))
    with httpx.Client(verify=ssl._create_unverified_context(), timeout=60) as client:
        deadline = time.monotonic() + 60
        while (reply := _lookup(client, gateway, output["tee_signature"])).status_code == 404 or (
            reply.json()["status"] == "pending"
        ):
            assert time.monotonic() < deadline, reply.text + gateway.log()
            time.sleep(0.25)
    assert reply.status_code == 200, reply.text
    return folder, output, reply.json()


def _verify(folder, answer: str, node, pay_node, gateway) -> subprocess.CompletedProcess:
    args = [str(OGKIT), "llm", "verify", str(folder / answer), "--request"]
    args += [str(folder / "request.json"), "--rpc", node.url, "--gateway", gateway.url]
    args += ["--payment-rpc", pay_node.url, "--strict", "--json"]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_an_sdk_paid_batch_answer_is_confirmed_by_ogkit_llm_verify(
    sdk_answer, node, pay_node, gateway
):
    folder, output, record = sdk_answer
    assert record["settlement_type"] == "batch" and record["status"] == "settled"
    assert record["tee_signature"] == output["tee_signature"]
    done = _verify(folder, "answer.json", node, pay_node, gateway)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        (name, "passed") for name in CHECKS
    ]
    details = {c["name"]: c["detail"] for c in report["checks"]}
    assert f"batch root {record['merkle_root']}" in details["settlement"]
    assert "verifyProof: true" in details["settlement"]
    payment = record["payment"]
    assert (payment["scheme"], payment["payer"]) == ("upto", Account.from_key(DEV_KEYS[5]).address)
    assert details["payment"].startswith(f"{payment['amount']} OPG from {payment['payer']}")


def test_a_changed_sdk_answer_fails(sdk_answer, node, pay_node, gateway):
    folder, output, _ = sdk_answer
    changed = {**output, "chat_output": {**output["chat_output"], "content": "Bye."}}
    (folder / "changed.json").write_text(json.dumps(changed))
    done = _verify(folder, "changed.json", node, pay_node, gateway)
    assert done.returncode == 1, done.stdout + done.stderr
    statuses = {c["name"]: c["status"] for c in json.loads(done.stdout)["checks"]}
    assert statuses["signature"] == "failed"  # the recomputed output hash is not the signed one
    assert statuses["settlement"] == "failed"  # no batch leaf of these hashes


def test_without_gateway_the_registry_endpoint_gives_the_proof(sdk_answer, node, pay_node):
    _, output, _ = sdk_answer
    w3, pay_w3 = (
        Web3(Web3.HTTPProvider(n.url, request_kwargs={"timeout": 60})) for n in (node, pay_node)
    )
    report = verify_response(output, w3=w3, request=REQUEST, payment_w3=pay_w3)
    assert {c.name: c.status for c in report.checks} == {
        **{name: "passed" for name in CHECKS},
        "attestation_fresh": "skipped",
    }


def test_the_signature_lookup_refuses_bad_and_unknown_signatures(gateway):
    unknown = base64.b64encode(bytes(256)).decode()  # no answer carries it
    with httpx.Client(verify=ssl._create_unverified_context(), timeout=60) as client:
        missing = client.get(f"{gateway.url}/v1/settlements")
        garbled = _lookup(client, gateway, "not base64!")
        short = _lookup(client, gateway, "AAAA")
        absent = _lookup(client, gateway, unknown)
    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == (
        "give the answer's signature: /v1/settlements?tee_signature=BASE64"
    )
    assert (garbled.status_code, garbled.json()["error"]["message"]) == (
        400,
        "tee_signature must be the answer's base64 signature",
    )
    assert (short.status_code, short.json()["error"]["message"]) == (
        400,
        "tee_signature is 3 bytes: an RSA signature is 256 to 512",
    )
    assert (absent.status_code, absent.json()["error"]["code"]) == (404, "not_found")
