"""OpenGradient's own LLM client (`opengradient` 1.1.4, in .venv-sdk) against `ogkit node` and
`ogkit gateway`, two real processes: `og.LLM(key, rpc_url=<node>)` with only the RPC URL
changed finds the gateway through the TEE registry at 0x703c…, pins its TLS certificate, and
gets our answers for a chat, a streamed chat and a completion; the SDK's `verify_response`
accepts the signatures; `LLM.from_url` works too; the answers settle at the relay at 0xf1dc…
(Merkle batches by default, individually on request). No payment yet (the gateway is free)."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from node_support import DEV_KEYS, ROOT, free_port
from web3 import Web3
from x402_gateway_support import GatewayProcess

from ogkit.chain.tee_registry_genesis import LLM_SETTLEMENT_RELAY_ADDRESS, TEE_REGISTRY_ADDRESS
from ogkit.contracts import load

SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "llm_gateway.py"
MODEL = "ogkit/tiny-llm"


def start_gateway(
    workdir: Path, rpc_url: str, store: Path, port: int, heartbeat: float = 600
) -> GatewayProcess:
    args = ["--port", str(port), "--rpc", rpc_url, "--model-store", str(store)]
    return GatewayProcess(workdir, *args, "--heartbeat-interval", str(heartbeat))


@pytest.fixture(scope="module")
def registry(w3):
    return w3.eth.contract(address=TEE_REGISTRY_ADDRESS, abi=load("TEERegistry").abi)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, node, model_store):
    process = start_gateway(tmp_path_factory.mktemp("gw"), node.url, model_store.root, free_port())
    yield process
    process.stop()


def _sdk(sdk_python: Path, *args: str) -> list[dict]:
    done = subprocess.run(
        [str(sdk_python), str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in done.stdout.strip().splitlines()]


def _served_certificate(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def test_the_registry_lists_the_gateway_with_its_served_certificate(gateway, registry):
    (tee,) = registry.functions.getActiveTEEs(0).call()
    owner, payment, endpoint, public_key, tls_cert, _pcr, tee_type, enabled = tee[:8]
    assert (endpoint, tee_type, enabled) == (gateway.url, 0, True)
    assert tls_cert == _served_certificate(gateway.port)
    assert payment == owner
    tee_id = Web3.keccak(public_key)
    assert f"TEE id {tee_id.to_0x_hex()}" in gateway.log()


def test_sdk_llm_with_only_the_rpc_url_changed(sdk_python, node, gateway, registry):
    answers, verdicts = _sdk(sdk_python, "registry", node.url, DEV_KEYS[5], MODEL)
    assert answers["chat"] == {"role": "assistant", "content": "Hello! How can I help you today?"}
    assert answers["chat_finish"] == "stop"
    assert answers["stream_text"] == "Hello! How can I help you today?"
    assert answers["stream_chunks"] > 3 and answers["stream_final_signature"]
    assert answers["completion"] == " jumps over the lazy dog."
    assert answers["chat_signature"] and answers["completion_signature"]
    assert answers["tee_endpoint"] == gateway.url
    (tee,) = registry.functions.getActiveTEEs(0).call()
    assert answers["tee_id"] == Web3.keccak(tee[3]).hex()  # the SDK prints it without 0x

    assert verdicts["chat"]["verified"] and verdicts["stream"]["verified"]
    assert verdicts["stream"]["text"] == "Hello! How can I help you today?"
    assert verdicts["tampered"] == "output hash mismatch"


def test_the_sdks_answers_settle_in_merkle_batches(w3, gateway):
    """The SDK's 3 calls and the verifier's 2 (its default mode, "batch") settle at the relay
    at 0xf1dc… within a few of the gateway's 2-second passes."""
    relay = w3.eth.contract(
        address=LLM_SETTLEMENT_RELAY_ADDRESS, abi=load("InferenceSettlementRelay").abi
    )
    deadline = time.monotonic() + 60
    while True:
        batches = relay.events.BatchSettlement().get_logs(from_block=0)
        if sum(b.args.batchSize for b in batches) >= 5 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert sum(b.args.batchSize for b in batches) == 5, gateway.log()


def test_an_individual_settlement_over_pinned_tls(w3, gateway, registry):
    (tee,) = registry.functions.getActiveTEEs(0).call()
    context = ssl.create_default_context(cadata=tee[4])  # the registry's certificate only
    context.check_hostname = False
    body = json.dumps({"model": "tiny-llm", "messages": [{"role": "user", "content": "Hello!"}]})
    headers = {"Content-Type": "application/json", "X-SETTLEMENT-TYPE": "individual"}
    request = urllib.request.Request(gateway.url + "/v1/chat/completions", body.encode(), headers)
    with urllib.request.urlopen(request, context=context, timeout=30) as reply:
        job = reply.headers["X-Settlement-Job-ID"]
        answer = json.loads(reply.read())
    deadline = time.monotonic() + 60
    while True:
        url = f"{gateway.url}/v1/settlements/{job}"
        with urllib.request.urlopen(url, context=context, timeout=30) as reply:
            status = json.loads(reply.read())
        if status["status"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["status"] == "settled", status
    relay = w3.eth.contract(
        address=LLM_SETTLEMENT_RELAY_ADDRESS, abi=load("InferenceSettlementRelay").abi
    )
    receipt = w3.eth.get_transaction_receipt(status["tx_hash"])
    (event,) = relay.events.IndividualSettlement().process_receipt(receipt)
    assert event.args.teeId == Web3.keccak(tee[3])
    assert event.args.inputHash.hex() == answer["tee_request_hash"]
    assert event.args.outputHash.hex() == answer["tee_output_hash"]
    assert event.args.timestamp == answer["tee_timestamp"]


def test_sdk_llm_from_url(sdk_python, gateway):
    (answers,) = _sdk(sdk_python, "url", gateway.url, DEV_KEYS[4], MODEL)
    assert answers["chat"]["content"] == "Hello! How can I help you today?"
    assert answers["completion"] == " jumps over the lazy dog."
    assert answers["tee_id"] is None  # a static endpoint has no registry entry


def test_heartbeats_keep_it_active_and_a_stop_disables_it(
    tmp_path, node, w3, registry, model_store
):
    """A second gateway on another port heartbeats every second; SIGTERM disables its entry,
    and a gateway restarted at the same endpoint retires the entry a crash left behind."""
    port = free_port()
    first = start_gateway(tmp_path, node.url, model_store.root, port, heartbeat=1)
    try:
        tee_id = Web3.keccak(_public_key(registry, first.url))
        start = w3.eth.block_number
        deadline = time.monotonic() + 30
        while not _heartbeats(registry, tee_id, start) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _heartbeats(registry, tee_id, start)
    finally:
        first.stop(signal.SIGKILL)  # a crash: the entry stays enabled
    assert registry.functions.isTEEEnabled(tee_id).call()
    second = start_gateway(tmp_path, node.url, model_store.root, port)
    try:
        assert not registry.functions.isTEEEnabled(tee_id).call()
        new_id = Web3.keccak(_public_key(registry, second.url))
        assert new_id != tee_id and registry.functions.isTEEEnabled(new_id).call()
    finally:
        second.stop()
    assert not registry.functions.isTEEEnabled(new_id).call()
    assert "Stopped." in second.log()


def _public_key(registry, endpoint: str) -> bytes:
    (tee,) = [t for t in registry.functions.getActiveTEEs(0).call() if t[2] == endpoint]
    return tee[3]


def _heartbeats(registry, tee_id: bytes, from_block: int) -> list:
    return registry.events.HeartbeatReceived().get_logs(
        from_block=from_block, argument_filters={"teeId": tee_id}
    )
