"""0xF4's LLM codec against the published JSON ABI and eth-abi.

Selectors, topics and type strings are derived from shared/reference's
InferencePrecompile.abi.json, so the codec is checked against the published interface, not
against itself; hypothesis round-trips every struct through eth-abi both ways.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_abi import decode, encode
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from precompiles.abi.reader import AbiDecodeError
from precompiles.inference import llm_codec
from precompiles.inference.llm import LLM_CHAT_EVENT_TOPIC, LLM_COMPLETION_EVENT_TOPIC
from precompiles.inference.llm_types import (
    ChatMessage,
    LLMChatRequest,
    LLMChatResponse,
    LLMCompletionRequest,
    LLMCompletionResponse,
    ToolCall,
    ToolDefinition,
)
from precompiles.inference.precompile import RUN_LLM_CHAT, RUN_LLM_COMPLETION

REFERENCE_ABI = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "abi"
    / "InferencePrecompile.abi.json"
)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BUDGET = 1 << 14


@pytest.fixture(scope="module")
def reference() -> dict[str, dict]:
    if not REFERENCE_ABI.exists():
        pytest.skip(f"reference ABI not found at {REFERENCE_ABI}")
    return {entry["name"]: entry for entry in json.loads(REFERENCE_ABI.read_text())}


def _type(param: dict) -> str:
    """Canonical type string of one ABI parameter (tuples spelled out)."""
    if not param["type"].startswith("tuple"):
        return param["type"]
    inner = ",".join(_type(c) for c in param["components"])
    return f"({inner}){param['type'][len('tuple') :]}"


def test_selectors_and_topics_match_the_reference(reference):
    assert function_abi_to_4byte_selector(reference["runLLMCompletion"]) == RUN_LLM_COMPLETION
    assert function_abi_to_4byte_selector(reference["runLLMChat"]) == RUN_LLM_CHAT
    assert RUN_LLM_COMPLETION.hex() == "14800c61" and RUN_LLM_CHAT.hex() == "e39aa7e7"
    completion_topic = event_abi_to_log_topic(reference["LLMCompletionEvent"])
    chat_topic = event_abi_to_log_topic(reference["LLMChat"])
    assert int.from_bytes(completion_topic, "big") == LLM_COMPLETION_EVENT_TOPIC
    assert int.from_bytes(chat_topic, "big") == LLM_CHAT_EVENT_TOPIC
    assert completion_topic.hex() == (
        "51fe69d513d73ecde3fa3bf17584f7d2acfd5f0b13d367e898d6e11e742127a3"
    )
    assert chat_topic.hex() == "4c92d3df7819fcd1c9f9663332f0a599a65eefdad2eaf9193cffb9dbf1919c3b"


def test_type_strings_match_the_reference(reference):
    completion, chat = reference["runLLMCompletion"], reference["runLLMChat"]
    assert _type(completion["inputs"][0]) == llm_codec.LLM_COMPLETION_REQUEST
    assert _type(completion["outputs"][0]) == llm_codec.LLM_COMPLETION_RESPONSE
    assert _type(chat["inputs"][0]) == llm_codec.LLM_CHAT_REQUEST
    assert _type(chat["outputs"][0]) == llm_codec.LLM_CHAT_RESPONSE
    names = [c["name"] for c in chat["inputs"][0]["components"]]
    assert names == list(LLMChatRequest.__dataclass_fields__)[:1] + [
        "modelCID",
        "messages",
        "tools",
        "tool_choice",
        "max_tokens",
        "stop_sequence",
        "temperature",
    ]


text = st.text(max_size=40)
uint32 = st.integers(0, 2**32 - 1)
tool_calls = st.lists(st.builds(ToolCall, text, text, text), max_size=3).map(tuple)
messages = st.builds(ChatMessage, text, text, text, text, tool_calls)
tools = st.builds(ToolDefinition, text, text, text)
stops = st.lists(text, max_size=4).map(tuple)
completion_requests = st.builds(
    LLMCompletionRequest, st.integers(0, 255), text, text, uint32, stops, uint32
)
chat_requests = st.builds(
    LLMChatRequest,
    st.integers(0, 255),
    text,
    st.lists(messages, max_size=4).map(tuple),
    st.lists(tools, max_size=3).map(tuple),
    text,
    uint32,
    stops,
    uint32,
)
chat_responses = st.builds(LLMChatResponse, text, messages)


def _call(c: ToolCall) -> tuple:
    return (c.id, c.name, c.arguments)


def _message(m: ChatMessage) -> tuple:
    return (m.role, m.content, m.name, m.tool_call_id, [_call(c) for c in m.tool_calls])


def _completion(q: LLMCompletionRequest) -> tuple:
    return (q.mode, q.model_cid, q.prompt, q.max_tokens, list(q.stop_sequence), q.temperature)


def _chat(q: LLMChatRequest) -> tuple:
    return (
        q.mode,
        q.model_cid,
        [_message(m) for m in q.messages],
        [(t.description, t.name, t.parameters) for t in q.tools],
        q.tool_choice,
        q.max_tokens,
        list(q.stop_sequence),
        q.temperature,
    )


@SETTINGS
@given(completion_requests)
def test_completion_request_round_trip(request):
    data = encode([llm_codec.LLM_COMPLETION_REQUEST], [_completion(request)])
    assert llm_codec.encode_llm_completion_request(request) == data
    assert llm_codec.decode_llm_completion_request(data, BUDGET) == request


@SETTINGS
@given(chat_requests)
def test_chat_request_round_trip(request):
    data = encode([llm_codec.LLM_CHAT_REQUEST], [_chat(request)])
    assert llm_codec.encode_llm_chat_request(request) == data
    assert llm_codec.decode_llm_chat_request(data, BUDGET) == request


@SETTINGS
@given(chat_responses, text)
def test_chat_response_and_event_match_eth_abi(response, answer):
    raw = (response.finish_reason, _message(response.message))
    data = llm_codec.encode_llm_chat_response(response)
    assert data == encode([llm_codec.LLM_CHAT_RESPONSE], [raw])
    assert llm_codec.decode_llm_chat_response(data) == response
    completion = LLMCompletionResponse(answer)
    assert llm_codec.encode_llm_completion_response(completion) == encode(["(string)"], [(answer,)])
    assert (
        llm_codec.decode_llm_completion_response(
            llm_codec.encode_llm_completion_response(completion)
        )
        == completion
    )


@SETTINGS
@given(text, chat_requests, chat_responses)
def test_chat_event_matches_eth_abi(inference_id, request, response):
    data = llm_codec.encode_llm_chat_event(inference_id, request, response)
    raw = (response.finish_reason, _message(response.message))
    types = ["string", llm_codec.LLM_CHAT_REQUEST, llm_codec.LLM_CHAT_RESPONSE]
    assert data == encode(types, [inference_id, _chat(request), raw])
    assert decode(types, data)[0] == inference_id


@SETTINGS
@given(text, completion_requests, text)
def test_completion_event_matches_eth_abi(inference_id, request, answer):
    data = llm_codec.encode_llm_completion_event(
        inference_id, request, LLMCompletionResponse(answer)
    )
    types = ["string", llm_codec.LLM_COMPLETION_REQUEST, "(string)"]
    assert data == encode(types, [inference_id, _completion(request), (answer,)])


def test_aliased_arrays_hit_the_decoding_budget():
    """One message referenced 2**20 times from a few KiB: rejected, not expanded."""
    message = _message(ChatMessage("user", "x" * 64))
    data = bytearray(encode([llm_codec.LLM_CHAT_REQUEST], [_chat_tuple_with(message)]))
    # messages array: point every element at the first one and claim 2**20 of them
    head = 32  # the request tuple starts after its own offset word
    messages_at = head + int.from_bytes(data[head + 64 : head + 96], "big")
    data[messages_at : messages_at + 32] = (1 << 20).to_bytes(32, "big")
    with pytest.raises(AbiDecodeError, match="exceeds the decoding cap"):
        llm_codec.decode_llm_chat_request(bytes(data), BUDGET)


def _chat_tuple_with(message: tuple) -> tuple:
    return (0, "tiny-llm", [message], [], "", 8, [], 0)
