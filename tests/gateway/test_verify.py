"""`ogkit llm verify` on real answers: a TLS gateway (in process, over an inference node's
enclave) registered in the genesis TEE registry of a real `ogkit node`, its answers settled
through the genesis relay; each check named, passed or failed with its reason. A changed
answer, a changed timestamp, another request, an enclave the registry does not hold, one it
disabled and PCRs it revoked all fail. The destructive cases (disable, revoke) run last."""

from __future__ import annotations

import base64
import copy
import http.client
import json
import ssl
import subprocess

import pytest
from eth_account import Account
from gateway_support import ROOT, serve

from ogkit.chain.genesis import SETTLEMENT_RELAYER_KEY
from ogkit.chain.tee_registry_genesis import LLM_PROXY, TEE_REGISTRY_ADDRESS
from ogkit.contracts import load
from ogkit.gateway.registration import GatewayRegistration
from ogkit.gateway.settlement import GatewaySettlement
from ogkit.llm import canonical
from ogkit.llm.verify import verify_response
from ogkit.llm.verify_gateway import assemble_stream
from ogkit.settlement.sender import TxSender
from ogkit.tee.enclave import SimulatedEnclave
from ogkit.tee.signing import message_hash, sign_rsa_pss

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
ALL_PASSED = {
    "request_hash": "passed",
    "output_hash": "passed",
    "tee_registry": "passed",
    "signature": "passed",
    "attestation_registered": "passed",
    "attestation_fresh": "passed",
    "settlement": "passed",
    "payment": "skipped",
}


@pytest.fixture(scope="module")
def gateway(inference_node, w3):
    server = serve(inference_node)  # TLS with the enclave's certificate
    registration = GatewayRegistration(w3, inference_node.enclave_slot, server.url)
    registration.register()
    yield server, registration
    server.stop()


@pytest.fixture(scope="module")
def settlement(inference_node, w3):
    return GatewaySettlement(inference_node.llm_engine, w3)


REQUEST_BODY = {
    "model": "tiny-llm",
    "messages": [{"role": "user", "content": "Hello!"}],
    "max_tokens": 8,
}


def ask(server, content: str = "Hello!", settlement_type: str = "batch") -> tuple[dict, dict]:
    """(request, response) of one chat over HTTPS."""
    request = {
        "model": "tiny-llm",
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 8,
    }
    host, port = server.server_address[:2]
    connection = http.client.HTTPSConnection(
        host, port, timeout=60, context=ssl._create_unverified_context()
    )
    connection.request(
        "POST",
        "/v1/chat/completions",
        json.dumps(request),
        {"Content-Type": "application/json", "X-SETTLEMENT-TYPE": settlement_type},
    )
    reply = connection.getresponse()
    body = json.loads(reply.read())
    connection.close()
    assert reply.status == 200, body
    return request, body


def statuses(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def detail(report, name: str) -> str:
    return report.check(name).detail


@pytest.fixture(scope="module")
def settled_batch(gateway, settlement):
    server, _ = gateway
    first, second = ask(server), ask(server, "Thank you!")
    done = settlement.settle_pending()
    assert all(d.status.startswith("settled") for d in done), done
    return first, second


def test_a_batch_answer_passes_every_check(gateway, w3, settled_batch):
    server, _ = gateway
    request, response = settled_batch[0]
    report = verify_response(response, w3=w3, request=request, gateway_url=server.url)
    assert statuses(report) == ALL_PASSED
    assert report.ok and not report.strictly_ok  # the payment: a free gateway names none
    assert "batch root 0x" in detail(report, "settlement")
    assert "verifyProof: true" in detail(report, "settlement")
    assert (
        detail(report, "payment") == "the gateway names no payment for this answer (a free gateway)"
    )


def test_an_individual_answer_verifies_offline_without_the_gateway(gateway, w3, settlement):
    server, _ = gateway
    request, response = ask(server, "Hi there", "individual")
    (done,) = settlement.settle_pending()
    assert done.status.startswith("settled")
    report = verify_response(response, w3=w3, request=request)  # only the chain
    assert statuses(report) == {**ALL_PASSED, "attestation_fresh": "skipped"}
    assert report.ok
    assert detail(report, "settlement").startswith("IndividualSettlement of these hashes")


def test_the_cli_prints_each_check_and_exits_by_the_verdict(gateway, node, settled_batch, tmp_path):
    server, _ = gateway
    request, response = settled_batch[1]
    (tmp_path / "request.json").write_text(json.dumps(request))
    (tmp_path / "response.json").write_text(json.dumps(response))
    args = [
        str(OGKIT),
        "llm",
        "verify",
        str(tmp_path / "response.json"),
        "--request",
        str(tmp_path / "request.json"),
        "--rpc",
        node.url,
        "--gateway",
        server.url,
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"verify gateway answer {response['id'].removeprefix('chatcmpl-')}"
    assert [line.split(":")[0].strip() for line in lines[1:-1]] == [
        f"{'-' if status == 'skipped' else '✓'} {name}" for name, status in ALL_PASSED.items()
    ]
    assert lines[-1] == "  => verified"
    strict = subprocess.run(
        [*args, "--strict", "--json"], capture_output=True, text=True, timeout=120
    )
    assert strict.returncode == 1  # the payment was skipped
    assert json.loads(strict.stdout)["ok"] is True

    tampered = copy.deepcopy(response)
    tampered["choices"][0]["message"]["content"] += "!"
    (tmp_path / "response.json").write_text(json.dumps(tampered))
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "  ✗ output_hash: the answer's hash is not the signed tee_output_hash" in done.stdout
    assert done.stdout.splitlines()[-1] == "  => NOT verified"


def test_a_changed_answer_fails_the_output_hash(w3, settled_batch):
    request, response = copy.deepcopy(settled_batch[0])
    response["choices"][0]["message"]["content"] = "Something else entirely."
    report = verify_response(response, w3=w3, request=request)
    assert report.check("output_hash").status == "failed"
    assert detail(report, "output_hash").endswith("the answer was changed")
    assert report.check("signature").status == "passed"  # the claim itself is intact
    assert not report.ok


def test_a_changed_timestamp_fails_the_signature_and_the_settlement(w3, settled_batch):
    request, response = copy.deepcopy(settled_batch[0])
    response["tee_timestamp"] += 1
    report = verify_response(response, w3=w3, request=request)
    assert report.check("signature").status == "failed"
    assert detail(report, "signature").startswith("does not verify with the registered key")
    assert report.check("settlement").status == "failed"
    assert not report.ok


def test_another_request_fails_the_request_hash(w3, settled_batch):
    request, response = copy.deepcopy(settled_batch[0])
    request["messages"][0]["content"] = "Goodbye!"
    report = verify_response(response, w3=w3, request=request)
    assert report.check("request_hash").status == "failed"
    assert detail(report, "request_hash").endswith("another request was answered")


def test_an_enclave_the_registry_does_not_hold_fails(w3, settled_batch):
    request, response = copy.deepcopy(settled_batch[0])
    rogue = SimulatedEnclave()
    claim_hash = bytes.fromhex(response["tee_request_hash"])
    output = bytes.fromhex(response["tee_output_hash"])
    digest = message_hash(claim_hash, output, response["tee_timestamp"])
    response["tee_signature"] = base64.b64encode(sign_rsa_pss(rogue.signing_key, digest)).decode()
    response["tee_id"] = "0x" + rogue.tee_id.hex()
    report = verify_response(response, w3=w3, request=request)
    assert (report.check("tee_registry").status, detail(report, "tee_registry")) == (
        "failed",
        f"TEE 0x{rogue.tee_id.hex()} is not registered in {TEE_REGISTRY_ADDRESS}",
    )
    assert detail(report, "signature") == "no registered key for this tee_id to check it with"
    assert report.check("settlement").status == "failed"
    assert not report.ok


def test_an_unsettled_answer_fails_the_settlement_with_the_gateways_status(gateway, w3):
    server, _ = gateway
    request, response = ask(server, "Not yet")
    report = verify_response(response, w3=w3, request=request, gateway_url=server.url)
    assert report.check("settlement").status == "failed"
    assert detail(report, "settlement").endswith("the gateway says 'pending'")
    assert report.check("signature").status == "passed"


def test_a_response_without_tee_fields_fails_at_once(w3):
    report = verify_response({"id": "chatcmpl-x", "choices": []}, w3=w3)
    assert [(c.name, c.status) for c in report.checks] == [("tee_fields", "failed")]
    assert detail(report, "tee_fields").startswith("the response has no tee_id")


def test_a_streamed_answer_saved_as_received_verifies(gateway, node, settlement, tmp_path):
    server, _ = gateway
    request = {**REQUEST_BODY, "stream": True}
    host, port = server.server_address[:2]
    connection = http.client.HTTPSConnection(
        host, port, timeout=60, context=ssl._create_unverified_context()
    )
    connection.request(
        "POST", "/v1/chat/completions", json.dumps(request), {"Content-Type": "application/json"}
    )
    transcript = connection.getresponse().read().decode()
    connection.close()
    assert transcript.startswith("data: ") and transcript.endswith("data: [DONE]\n\n")
    done = settlement.settle_pending()  # with the earlier test's unsettled answer
    assert [d.status.startswith("settled") for d in done] == [True, True]
    assembled = assemble_stream(transcript)
    assert assembled["choices"][0]["message"]["content"] == "Hello! How can"
    (tmp_path / "stream.txt").write_text(transcript)
    (tmp_path / "request.json").write_text(json.dumps(request))
    args = [str(OGKIT), "llm", "verify", str(tmp_path / "stream.txt"), "--request"]
    args += [str(tmp_path / "request.json"), "--rpc", node.url, "--gateway", server.url]
    verified = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "  ✓ output_hash: keccak256 of the answer's text is the signed one" in verified.stdout


def test_a_private_answer_needs_no_settlement(gateway, w3):
    server, _ = gateway
    request, response = ask(server, "Keep it private", "private")
    report = verify_response(response, w3=w3, request=request, gateway_url=server.url)
    assert (report.check("settlement").status, detail(report, "settlement")) == (
        "passed",
        "not required: a private answer is paid, never settled",
    )
    assert report.ok


def test_a_disabled_enclave_fails_the_registry_check(gateway, w3, settled_batch):
    _, registration = gateway
    request, response = settled_batch[0]
    registration.stop(disable=True)
    report = verify_response(response, w3=w3, request=request)
    assert (report.check("tee_registry").status, detail(report, "tee_registry")) == (
        "failed",
        f"TEE {response['tee_id']} is registered in {TEE_REGISTRY_ADDRESS} but disabled",
    )
    assert not report.ok


def test_revoked_pcrs_fail_the_registry_check(w3, settled_batch, inference_node):
    request, response = settled_batch[0]
    registry = w3.eth.contract(address=TEE_REGISTRY_ADDRESS, abi=load("TEERegistry").abi)
    pcr_hash = registry.functions.getTEE(inference_node.enclave.tee_id).call()[5]
    data = registry.encode_abi("revokePCR", args=[pcr_hash, LLM_PROXY])
    TxSender(w3, Account.from_key(SETTLEMENT_RELAYER_KEY)).send(
        registry.address, bytes.fromhex(data[2:])
    )
    try:
        report = verify_response(response, w3=w3, request=request)
        assert report.check("tee_registry").status == "failed"
        assert detail(report, "tee_registry") == (  # revoking the PCRs disables their TEEs
            f"TEE {response['tee_id']} is registered in {TEE_REGISTRY_ADDRESS} but disabled "
            f"and its PCR hash 0x{pcr_hash.hex()} is not (or no longer) approved for type 0"
        )
        assert not report.ok
    finally:
        pcrs = inference_node.enclave.pcrs
        data = registry.encode_abi("approvePCR", args=[(pcrs[0], pcrs[1], pcrs[2]), "dev", 0])
        TxSender(w3, Account.from_key(SETTLEMENT_RELAYER_KEY)).send(
            registry.address, bytes.fromhex(data[2:])
        )


def test_the_canonical_hash_is_the_gateways(settled_batch):
    request, response = settled_batch[0]
    form = canonical.body_canonical(request)
    assert canonical.request_hash(form).hex() == response["tee_request_hash"]
