"""LLMAssistant on the `opengradient:local` chain: 0xF4's runLLMCompletion and runLLMChat.

Local: the tiny example LLM (a real ONNX graph run by onnxruntime, its BPE tokenizer loaded
with `tokenizers`), greedy unless a temperature is given, so every text below is exact.
HTTP: the OpenAI-compatible backend against a local server speaking OpenAI's API.
"""

from __future__ import annotations

import base64
import json

import ape
import pytest
from eth_abi import encode
from openai_stub import API_KEY, OpenAIStub

from ogkit.llm.http_backend import OpenAIHttpBackend
from ogkit.llm.openai_format import request_body, request_hash
from ogkit.tee.attestation import verify_result_signature
from precompiles import gas, limits
from precompiles.inference.llm_codec import LLM_COMPLETION_REQUEST
from precompiles.inference.llm_types import LLMCompletionRequest, LLMInferenceMode
from precompiles.inference.precompile import RUN_LLM_COMPLETION

VANILLA = int(LLMInferenceMode.VANILLA)
TEE = int(LLMInferenceMode.TEE)
FAILED_TX_GAS = 5_000_000
TX_BASE = 21_000
WEATHER_PARAMETERS = (
    '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}'
)


@pytest.fixture(scope="module")
def assistant(project, owner, model_store):
    return owner.deploy(project.LLMAssistant, "tiny-llm", VANILLA)


@pytest.fixture(scope="module")
def tee_assistant(project, owner, model_store):
    return owner.deploy(project.LLMAssistant, "tiny-llm", TEE)


@pytest.fixture
def llm_engine(networks):
    return networks.provider.llm_engine


def _event(receipt, name):
    (event,) = [e for e in receipt.events if e.event_name == name]
    return event


def _runs_for(llm_engine, send):
    """Model runs one Ape transaction makes (Ape: eth_call, gas estimation, then the tx)."""
    before = llm_engine.model_runs
    receipt = send()
    return receipt, llm_engine.model_runs - before


# --------------------------------------------------------------------------- local model


def test_completion_exact_text_and_event(assistant, owner, llm_engine):
    receipt, runs = _runs_for(
        llm_engine, lambda: assistant.complete("The quick brown fox", 40, [], 0, sender=owner)
    )
    assert assistant.lastAnswer() == " jumps over the lazy dog."
    assert runs == 1  # eth_call + estimate + transaction: the model ran once
    event = _event(receipt, "LLMCompletionEvent")
    assert event.contract_address == "0x00000000000000000000000000000000000000F4"
    assert list(event.request) == [VANILLA, "tiny-llm", "The quick brown fox", 40, (), 0]
    assert list(event.response) == [" jumps over the lazy dog."]
    record = llm_engine.records[event.inferenceID]
    assert record.model_id == "tiny-llm" and record.backend == "onnx"
    assert record.block_number == receipt.block_number
    assert record.mode is LLMInferenceMode.VANILLA and record.tee is None
    body = request_body(
        LLMCompletionRequest(0, "tiny-llm", "The quick brown fox", 40, (), 0), "tiny-llm"
    )
    assert record.request_hash == request_hash(body)


def test_replaying_the_same_request_asks_no_model(assistant, owner, llm_engine):
    assistant.complete("Once upon a time", 30, [], 0, sender=owner)
    receipt, runs = _runs_for(
        llm_engine, lambda: assistant.complete("Once upon a time", 30, [], 0, sender=owner)
    )
    assert runs == 0
    assert (
        assistant.lastAnswer() == " there was a tiny language model that knew only a few sentences,"
    )


def test_stop_sequence_is_honoured(assistant, owner):
    assistant.complete("The quick brown fox", 40, [" lazy"], 0, sender=owner)
    assert assistant.lastAnswer() == " jumps over the"


def test_max_tokens_is_honoured(assistant, owner, llm_engine):
    receipt = assistant.complete("OpenGradient runs", 5, [], 0, sender=owner)
    assert assistant.lastAnswer() == " AI models inside the EV"  # 5 BPE tokens
    record = llm_engine.records[_event(receipt, "LLMCompletionEvent").inferenceID]
    assert record.output_hash


def test_sampling_is_seeded_by_the_inference_id(assistant, owner, llm_engine):
    """temperature 1.00 samples; the seed comes from the inference id, so the estimate and
    the transaction agree and the model runs once for both. Ape's look at the mined
    transaction afterwards (debug logs, return value) is a call trace on its pre-state,
    answered from the result cache: no run of its own."""

    def estimate_then_send():
        assistant.complete.estimate_gas_cost("Snow in", 12, [], 100, sender=owner)
        return assistant.complete("Snow in", 12, [], 100, sender=owner)

    receipt, runs = _runs_for(llm_engine, estimate_then_send)
    assert runs == 1
    answer = assistant.lastAnswer()
    # the sample follows the id: this one with the id's origin nonce and call index
    assert answer == "to the chain itself. The precompile"
    assert list(_event(receipt, "LLMCompletionEvent").response) == [answer]


def test_chat_reply(assistant, owner):
    receipt = assistant.chat("", "Hello!", 40, sender=owner)
    assert assistant.lastAnswer() == "Hello! How can I help you today?"
    assert assistant.lastFinishReason() == "stop"
    event = _event(receipt, "LLMChat")
    assert event.response[0] == "stop"
    role, content, name, tool_call_id, tool_calls = event.response[1]
    assert (role, content, name, tool_call_id, tool_calls) == (
        "assistant",
        "Hello! How can I help you today?",
        "",
        "",
        (),
    )
    messages = event.request[2]
    assert [tuple(m)[:2] for m in messages] == [("user", "Hello!")]


def test_chat_with_system_prompt(assistant, owner):
    assistant.chat("You are a helpful assistant.", "What is OpenGradient?", 60, sender=owner)
    assert assistant.lastAnswer() == (
        "OpenGradient is a network that runs AI models inside the EVM, so a smart contract "
        "can call a model and use its answer in the same transaction."
    )


def test_chat_with_a_tool_returns_tool_calls(assistant, owner, llm_engine):
    receipt = assistant.askWeather("What is the weather in Paris?", 60, sender=owner)
    assert assistant.lastFinishReason() == "tool_calls"
    assert assistant.lastToolName() == "get_weather"
    assert json.loads(assistant.lastToolArguments()) == {"city": "Paris"}
    event = _event(receipt, "LLMChat")
    finish_reason, message = event.response
    assert finish_reason == "tool_calls"
    ((call_id, name, arguments),) = message[4]
    assert call_id == assistant.lastToolCallId() and call_id.startswith("call_")
    assert (name, json.loads(arguments)) == ("get_weather", {"city": "Paris"})
    tools = event.request[3]
    assert [tuple(t) for t in tools] == [
        ("Current weather for a city", "get_weather", WEATHER_PARAMETERS)
    ]


def test_tee_mode_record_is_signed_like_the_gateway(tee_assistant, owner, llm_engine, chain):
    receipt = tee_assistant.complete("The quick brown fox", 40, [], 0, sender=owner)
    assert tee_assistant.lastAnswer() == " jumps over the lazy dog."
    inference_id = _event(receipt, "LLMCompletionEvent").inferenceID
    record = llm_engine.records[inference_id]
    assert record.mode is LLMInferenceMode.TEE
    # signed now, settled on chain by the settlement service like a model's TEE result
    settled = chain.provider.wait_for_settlement(inference_id, timeout=60)
    assert settled is record and record.settlement == f"settled {record.settlement_tx}"
    tee = record.tee
    assert tee.tee_timestamp == receipt.timestamp
    assert tee.tee_id == "0x" + llm_engine.enclave.tee_id.hex()
    check = verify_result_signature(
        llm_engine.enclave.signing_public_key_der,
        bytes.fromhex(tee.tee_request_hash),
        bytes.fromhex(tee.tee_output_hash),
        tee.tee_timestamp,
        base64.b64decode(tee.tee_signature),
    )
    assert check.valid


# --------------------------------------------------------------------------- bad input


def _reverts_with_gas(send, reason):
    with ape.reverts(reason):
        send()
    receipt = send(gas=FAILED_TX_GAS, raise_on_revert=False)
    assert receipt.failed
    assert TX_BASE + gas.BASE < receipt.gas_used < FAILED_TX_GAS  # charged, not burnt


def test_unknown_llm_reverts(project, owner, model_store):
    unknown = owner.deploy(project.LLMAssistant, "no-such-llm", VANILLA)
    _reverts_with_gas(
        lambda **kw: unknown.complete("Hi", 8, [], 0, sender=owner, **kw),
        "OGInference: LLM not found: no-such-llm",
    )


def test_an_onnx_classifier_is_not_an_llm(project, owner, model_store):
    classifier = owner.deploy(project.LLMAssistant, "sentiment", VANILLA)
    with ape.reverts("OGInference: LLM not found: sentiment"):
        classifier.complete("Hi", 8, [], 0, sender=owner)


def test_max_tokens_over_the_cap_reverts(assistant, owner):
    over = limits.MAX_LLM_TOKENS + 1
    _reverts_with_gas(
        lambda **kw: assistant.complete("Hi", over, [], 0, sender=owner, **kw),
        f"OGInference: max_tokens {over} exceeds the cap of {limits.MAX_LLM_TOKENS}",
    )


def _chat_request(messages, tools=(), tool_choice=""):
    return (VANILLA, "tiny-llm", list(messages), list(tools), tool_choice, 20, [], 0)


def test_tool_parameters_that_are_not_json_revert(assistant, owner):
    request = _chat_request(
        [("user", "Hi", "", "", [])], [("Weather", "get_weather", "{not json")], "auto"
    )
    _reverts_with_gas(
        lambda **kw: assistant.chatRaw(request, sender=owner, **kw),
        "OGInference: parameters of tool 'get_weather' is not valid JSON",
    )


def test_tool_call_arguments_that_are_not_json_revert(assistant, owner):
    messages = [
        ("user", "What is the weather in Paris?", "", "", []),
        ("assistant", "", "", "", [("call_1", "get_weather", "city=Paris")]),
        ("tool", '{"temperature_c": 18}', "", "call_1", []),
    ]
    request = _chat_request(messages, [("Weather", "get_weather", WEATHER_PARAMETERS)], "auto")
    _reverts_with_gas(
        lambda **kw: assistant.chatRaw(request, sender=owner, **kw),
        "OGInference: arguments of tool call 'get_weather' (message 1 has) is not valid JSON",
    )


def test_unknown_mode_reverts(project, owner, model_store):
    """Solidity cannot encode LLMInferenceMode 2; send the calldata raw through the probe."""
    probe = owner.deploy(project.InferenceProbe)
    args = encode([LLM_COMPLETION_REQUEST], [(2, "tiny-llm", "Hi", 8, [], 0)])
    _reverts_with_gas(
        lambda **kw: probe.forward(RUN_LLM_COMPLETION + args, sender=owner, **kw),
        "OGInference: unknown LLM inference mode 2",
    )


# --------------------------------------------------------------------------- HTTP backend


@pytest.fixture
def stub(llm_engine):
    with OpenAIStub() as server:
        previous = llm_engine.http
        llm_engine.http = OpenAIHttpBackend(server.url, API_KEY)
        try:
            yield server
        finally:
            llm_engine.http = previous


@pytest.fixture(scope="module")
def remote(project, owner, model_store):
    return owner.deploy(project.LLMAssistant, "stub-model", VANILLA)


@pytest.fixture(scope="module")
def remote_tee(project, owner, model_store):
    return owner.deploy(project.LLMAssistant, "stub-model", TEE)


def test_http_completion(remote, owner, stub, llm_engine):
    receipt, runs = _runs_for(
        llm_engine, lambda: remote.complete("Say hi. Then stop", 16, [" Then"], 0, sender=owner)
    )
    assert remote.lastAnswer() == "echo: Say hi."
    assert runs == 1 and len(stub.requests) == 1  # one HTTP request for call + estimate + tx
    path, body = stub.requests[0]
    assert path == "/v1/completions"
    assert body == {
        "model": "stub-model",
        "prompt": "Say hi. Then stop",
        "max_tokens": 16,
        "temperature": 0.0,
        "stop": [" Then"],
    }
    record = llm_engine.records[_event(receipt, "LLMCompletionEvent").inferenceID]
    assert record.backend == "http" and record.request_hash == request_hash(body)


def test_http_chat_with_tool_passes_tools_and_returns_tool_calls(remote, owner, stub):
    remote.askWeather("What is the weather in Lisbon?", 32, sender=owner)
    assert remote.lastFinishReason() == "tool_calls"
    assert remote.lastToolName() == "get_weather"
    assert remote.lastToolCallId() == "call_stub_1"
    assert json.loads(remote.lastToolArguments()) == {"city": "Lisbon"}
    (path, body) = stub.requests[-1]
    assert path == "/v1/chat/completions"
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": json.loads(WEATHER_PARAMETERS),
            },
        }
    ]
    assert body["tool_choice"] == "auto"
    assert body["messages"] == [{"role": "user", "content": "What is the weather in Lisbon?"}]


def test_http_tee_mode_signs_request_and_output(remote_tee, owner, stub, llm_engine):
    receipt = remote_tee.chat("", "Hello there", 16, sender=owner)
    assert remote_tee.lastAnswer() == "You said: Hello there"
    record = llm_engine.records[_event(receipt, "LLMChat").inferenceID]
    tee = record.tee
    _, body = stub.requests[-1]
    assert tee.tee_request_hash == request_hash(body).hex()
    from eth_utils import keccak

    assert tee.tee_output_hash == keccak(text="You said: Hello there").hex()
    check = verify_result_signature(
        llm_engine.enclave.signing_public_key_der,
        bytes.fromhex(tee.tee_request_hash),
        bytes.fromhex(tee.tee_output_hash),
        tee.tee_timestamp,
        base64.b64decode(tee.tee_signature),
    )
    assert check.valid and tee.tee_timestamp == receipt.timestamp


def test_http_error_status_reverts_with_reason(project, owner, stub, model_store):
    missing = owner.deploy(project.LLMAssistant, "missing-model", VANILLA)
    _reverts_with_gas(
        lambda **kw: missing.complete("Hi", 8, [], 0, sender=owner, **kw),
        "OGInference: LLM inference failed: LLM endpoint returned HTTP 404: "
        "The model `missing-model` does not exist",
    )


def test_http_unreachable_reverts_with_reason(remote, owner, llm_engine):
    previous = llm_engine.http
    llm_engine.http = OpenAIHttpBackend("http://127.0.0.1:9", API_KEY, timeout_s=2)
    try:
        _reverts_with_gas(
            lambda **kw: remote.complete("Anyone there?", 8, [], 0, sender=owner, **kw),
            "OGInference: LLM inference failed: LLM endpoint http://127.0.0.1:9 unreachable: "
            "ConnectionError",
        )
    finally:
        llm_engine.http = previous
