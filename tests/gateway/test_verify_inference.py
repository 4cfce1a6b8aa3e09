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
def node(tmp_path_factory, model_store):
    process = NodeProcess(tmp_path_factory.mktemp("verify-0xf4"), store=model_store.root).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def w3(node):
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))


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
    # it waits for the settlement; an LLM record lives in the node's book, so it answers null
    w3.provider.make_request("ogkit_waitForSettlement", [inference_id, 60])
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


def test_a_0xf4_record_settled_in_a_batch_says_why_it_cannot_be_read_back(
    project, tmp_path, model_store
):
    batching = NodeProcess(tmp_path, "--settlement-batch", "4", store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(batching.url, request_kwargs={"timeout": 60}))
        inference_id, _ = _chat_on(project, w3)
        report = verify_inference(inference_id, w3=w3)
    finally:
        batching.stop()
    (check,) = report.checks
    assert (check.name, check.status) == ("record", "failed")
    assert check.detail.startswith("settled in a Merkle batch (tx 0x")
    assert check.detail.endswith(
        "whose leaves are not on chain: the signature cannot be read back over RPC"
    )
