"""`verify_response` on what OpenGradient's own client returns: `og.LLM(key, rpc_url=<node>)`
(SDK 1.1.4, in .venv-sdk) against a real `ogkit gateway --rpc` process. The SDK's output has
the signature, timestamp and tee_id but neither hash and no job id: the hashes are recomputed
from the request and the answer, and everything but the batch proof verifies; the settlement
check says why it cannot find the proof."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from node_support import DEV_KEYS, ROOT, NodeProcess, free_port
from web3 import Web3

from ogkit.chain.tee_registry_genesis import LLM_SETTLEMENT_RELAY_ADDRESS
from ogkit.contracts import load
from ogkit.llm.verify import verify_response

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "llm_output.py"
REQUEST = {
    "model": "tiny-llm",
    "messages": [{"role": "user", "content": "Hello!"}],
    "max_tokens": 40,
    "temperature": 0.0,
}


@pytest.fixture(scope="module")
def node(tmp_path_factory, model_store):
    process = NodeProcess(tmp_path_factory.mktemp("sdk-node"), store=model_store.root).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, node, model_store):
    log = tmp_path_factory.mktemp("sdk-gw") / "gateway.log"
    port = free_port()
    command = [str(OGKIT), "gateway", "--port", str(port), "--rpc", node.url]
    command += ["--model-store", str(model_store.root), "--settle-interval", "0.5"]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 90
    while b"Listening on" not in log.read_bytes():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    yield f"https://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_an_sdk_answer_verifies_but_for_its_batch_proof(sdk_python, node, gateway):
    done = subprocess.run(
        [str(sdk_python), str(SCRIPT), node.url, DEV_KEYS[5], "ogkit/tiny-llm"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert "tee_request_hash" not in output and output["tee_signature"]
    w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
    relay = w3.eth.contract(
        address=LLM_SETTLEMENT_RELAY_ADDRESS, abi=load("InferenceSettlementRelay").abi
    )
    deadline = time.monotonic() + 60
    while not relay.events.BatchSettlement().get_logs(from_block=0):
        assert time.monotonic() < deadline
        time.sleep(0.25)

    report = verify_response(output, w3=w3, request=REQUEST, gateway_url=gateway)
    assert {c.name: c.status for c in report.checks} == {
        "tee_fields": "passed",
        "request_hash": "passed",
        "output_hash": "passed",
        "tee_registry": "passed",
        "signature": "passed",
        "attestation_registered": "passed",
        "attestation_fresh": "passed",
        "settlement": "failed",
        "payment": "skipped",
    }
    assert report.check("settlement").detail == (
        f"not settled on chain: isSettled is false at {LLM_SETTLEMENT_RELAY_ADDRESS}, and the "
        "answer names no gateway job (an SDK output has none) to ask its batch proof"
    )

    changed = {**output, "chat_output": {**output["chat_output"], "content": "Bye."}}
    report = verify_response(changed, w3=w3, request=REQUEST)
    assert report.check("signature").status == "failed"  # the recomputed hash is not signed
