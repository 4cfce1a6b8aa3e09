"""0xF4's TEE-mode LLM answers and the gateway's are one kind of thing: a real `runLLMChat`
record (a tool call, from a contract on the in-process chain) passes OpenGradient's SDK
verifier over the OpenAI body of that request, and 0xF4 LLM records settle in a Merkle batch
like model records do."""

from __future__ import annotations

import base64
import json

from gateway_support import run_sdk

from ogkit.contracts import load
from ogkit.llm.openai_format import request_body, tool_calls_json
from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, standard_leaf
from ogkit.settlement.tee import settlement_leaf
from precompiles.inference.llm_types import (
    ChatMessage,
    LLMChatRequest,
    LLMInferenceMode,
    ToolCall,
    ToolDefinition,
)

TEE = int(LLMInferenceMode.TEE)
QUESTION = "What is the weather in Paris?"
SDK_VERIFY = """
import json, sys
from opengradient.client import tee_verify
case = json.loads(sys.stdin.read())
_, canonical = tee_verify.build_inner_request(case["body"])
proof = tee_verify.verify_response(
    canonical_request=canonical,
    response_body=case["response"],
    response_content=tee_verify.response_content_for_hash(case["response"]),
    signing_key_pem=case["pem"],
)
print(proof.output_hash)
"""


def _event(receipt, name):
    (event,) = [e for e in receipt.events if e.event_name == name]
    return event


def test_a_0xf4_tool_call_passes_the_sdks_verifier_and_settles(
    project, accounts, chain, model_store, sdk_python
):
    provider = chain.provider
    assistant = accounts[0].deploy(project.LLMAssistant, "tiny-llm", TEE)
    receipt = assistant.askWeather(QUESTION, 64, sender=accounts[0])
    record = provider.llm_engine.records[_event(receipt, "LLMChat").inferenceID]
    assert assistant.lastFinishReason() == "tool_calls"
    call = ToolCall(assistant.lastToolCallId(), "get_weather", assistant.lastToolArguments())
    assert json.loads(call.arguments) == {"city": "Paris"}

    request = LLMChatRequest(
        TEE,
        "tiny-llm",
        (ChatMessage("user", QUESTION),),
        (
            ToolDefinition(
                "Current weather for a city", "get_weather", assistant.WEATHER_TOOL_PARAMETERS()
            ),
        ),
        "auto",
        64,
        (),
        0,
    )
    response = {
        "choices": [
            {"message": {"tool_calls": tool_calls_json([call])}, "finish_reason": "tool_calls"}
        ],
        "tee_signature": record.tee.tee_signature,
        "tee_request_hash": record.tee.tee_request_hash,
        "tee_output_hash": record.tee.tee_output_hash,
        "tee_timestamp": record.tee.tee_timestamp,
        "tee_id": record.tee.tee_id,
    }
    case = {
        "body": request_body(request, "tiny-llm"),
        "response": response,
        "pem": provider.llm_engine.enclave.signing_public_key_pem.decode(),
    }
    assert run_sdk(sdk_python, SDK_VERIFY, json.dumps(case)).strip() == record.output_hash.hex()
    assert base64.b64decode(record.tee.tee_signature) == record.tee_signature.signature

    settled = provider.wait_for_settlement(record.inference_id, timeout=60)
    assert settled.settlement == f"settled {settled.settlement_tx}"


def test_0xf4_llm_records_settle_in_a_merkle_batch(project, accounts, chain, model_store):
    provider = chain.provider
    service = provider.settlement
    assistant = accounts[0].deploy(project.LLMAssistant, "tiny-llm", TEE)
    with service.paused():
        ids = [
            _event(
                assistant.complete(p, 12, [], 0, sender=accounts[0]), "LLMCompletionEvent"
            ).inferenceID
            for p in ("Once upon a time", "The quick brown fox")
        ]
        service.batch_size = 2
    try:
        records = [provider.wait_for_settlement(i, timeout=60) for i in ids]
    finally:
        service.batch_size = 1
    (tx,) = {r.settlement_tx for r in records}
    (root,) = {r.merkle_root for r in records}
    relay = provider.web3.eth.contract(
        address=service.contracts.relay, abi=load("InferenceSettlementRelay").abi
    )
    (event,) = relay.events.BatchSettlement().process_receipt(
        provider.web3.eth.get_transaction_receipt(tx)
    )
    assert (event.args.merkleRoot, event.args.batchSize) == (root, 2)
    for record in records:
        leaf = standard_leaf(SETTLEMENT_LEAF_TYPES, settlement_leaf(record))
        assert relay.functions.verifyProof(list(record.merkle_proof), root, leaf).call()
