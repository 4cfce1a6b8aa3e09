"""`ogkit llm verify --inference-id`: a real 0xF4 TEE-mode chat (a contract on a real `ogkit
node`), read back over the node's RPC and checked the same way as a gateway answer, against
the registry behind the relay the node's settlement service settled it through."""

from __future__ import annotations

import subprocess

import pytest
from eth_abi import decode
from eth_utils import keccak
from gateway_support import ROOT
from node_support import DEV_KEYS, NodeProcess, deploy, transact, web3_artifact
from web3 import Web3

from ogkit.llm.openai_format import request_body
from ogkit.llm.verify import verify_inference
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.inference.llm_codec import LLM_CHAT_EVENT_SIGNATURE
from precompiles.inference.llm_types import ChatMessage, LLMChatRequest, LLMInferenceMode

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
TEE = int(LLMInferenceMode.TEE)
QUESTION = "Hello!"
MAX_TOKENS = 8


@pytest.fixture(scope="module")
def chat(project, w3):
    return _chat_on(project, w3)


def _chat_on(project, w3):
    """(inference id, the answer's text) of one TEE chat, settled."""
    abi, bytecode = web3_artifact(project, "LLMAssistant")
    assistant = deploy(w3, DEV_KEYS[0], abi, bytecode, "tiny-llm", TEE)
    receipt = transact(w3, DEV_KEYS[0], assistant.functions.chat("", QUESTION, MAX_TOKENS))
    assert receipt.status == 1
    topic = keccak(text=LLM_CHAT_EVENT_SIGNATURE)
    (log,) = [
        entry
        for entry in receipt.logs
        if entry.address.lower() == Web3.to_checksum_address(OG_INFERENCE_ADDRESS).lower()
        and bytes(entry.topics[0]) == topic
    ]
    inference_id = decode(["string"], bytes(log.data))[0]
    settled = w3.provider.make_request("ogkit_waitForSettlement", [inference_id, 60])["result"]
    assert settled["settlement"] != "pending" and "timedOut" not in settled, settled
    return inference_id, assistant.functions.lastAnswer().call()


def _request() -> dict:
    request = LLMChatRequest(
        TEE, "tiny-llm", (ChatMessage("user", QUESTION),), (), "", MAX_TOKENS, (), 0
    )
    return request_body(request, "tiny-llm")


def test_a_0xf4_tee_chat_verifies_by_its_inference_id(w3, chat):
    inference_id, answer = chat
    response = {"choices": [{"message": {"role": "assistant", "content": answer}}]}
    report = verify_inference(inference_id, w3=w3, request=_request(), response=response)
    assert {c.name: c.status for c in report.checks} == {
        "record": "passed",
        "request_hash": "passed",
        "output_hash": "passed",
        "tee_registry": "passed",
        "signature": "passed",
        "attestation_registered": "passed",
        "attestation_fresh": "skipped",
        "settlement": "passed",
    }
    assert report.ok
    assert report.check("settlement").detail.startswith("IndividualSettlement of these hashes")


def test_a_changed_answer_of_a_0xf4_record_fails(w3, chat):
    inference_id, answer = chat
    response = {"choices": [{"message": {"role": "assistant", "content": answer + "?"}}]}
    report = verify_inference(inference_id, w3=w3, response=response)
    assert report.check("output_hash").status == "failed"
    assert not report.ok


def test_the_cli_checks_an_inference_id_and_an_unknown_one(node, chat):
    inference_id, _ = chat
    args = [str(OGKIT), "llm", "verify", "--rpc", node.url, "--inference-id"]
    done = subprocess.run([*args, inference_id], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  ✓ signature: RSA-PSS signature over" in done.stdout
    assert "  - output_hash: skipped: no answer text given" in done.stdout
    unknown = subprocess.run([*args, "0x" + "ab" * 32], capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1
    assert "  ✗ record: no mined transaction emitted an inference of that id" in unknown.stdout


def test_the_node_answers_for_its_0xf4_llm_record(node, w3, chat):
    """An LLM record lives in the node's record book, not with the chain: the node's RPC
    finds it there (the block that emitted it read for its transaction) in the shape of a
    stored record, signature, settlement and all."""
    inference_id, _ = chat
    record = node.rpc("ogkit_getInferenceRecord", inference_id)
    assert record is not None
    receipt = w3.eth.get_transaction_receipt(record["transactionHash"])
    (entry,) = node.rpc("eth_getTransactionReceipt", record["transactionHash"])["inferences"]
    assert record["blockNumber"] == receipt.blockNumber
    assert record["inferenceId"] == "0x" + inference_id.lower().removeprefix("0x")
    assert (record["modelId"], record["mode"]) == ("tiny-llm", TEE)
    assert (record["inputHash"], record["outputHash"]) == (entry["inputHash"], entry["outputHash"])
    assert (record["settlement"], record["settlementTx"]) == (
        entry["settlement"],
        entry["settlementTx"],
    )
    assert record["settlement"].startswith("settled") and record["settlementTx"]
    assert set(record["teeSignature"]) == {"teeId", "timestamp", "messageHash", "signature"}
    assert node.rpc("ogkit_waitForSettlement", inference_id, 5) == record
    assert node.rpc("ogkit_getInferenceRecord", "0x" + "ab" * 32) is None


def test_a_0xf4_record_settled_in_a_batch_verifies_by_its_proof(project, tmp_path, model_store):
    """The node's record of a batch-settled LLM call carries its Merkle proof and signature:
    the relay's verifyProof confirms it (the batch's leaves are not on chain)."""
    batching = NodeProcess(tmp_path, "--settlement-batch", "4", store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(batching.url, request_kwargs={"timeout": 60}))
        inference_id, _ = _chat_on(project, w3)
        report = verify_inference(inference_id, w3=w3, request=_request())
    finally:
        batching.stop()
    assert {c.name: c.status for c in report.checks} == {
        "record": "passed",
        "request_hash": "passed",
        "output_hash": "skipped",
        "tee_registry": "passed",
        "signature": "passed",
        "attestation_registered": "passed",
        "attestation_fresh": "skipped",
        "settlement": "passed",
    }
    assert report.check("settlement").detail.startswith("leaf in the batch root 0x")
