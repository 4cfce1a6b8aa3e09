"""The gateway in front of an OpenAI-compatible upstream (the local stub standing in for a
provider): the upstream's answer, signed by the enclave like a local model's, tool calls hashed
as the SDK's verifier hashes them, a stream answered in one piece, upstream errors as 502."""

from __future__ import annotations

import json

import pytest
from gateway_support import CHAT, call, serve, sse_events
from openai_stub import API_KEY, OpenAIStub

from ogkit.inference.node import InferenceNode
from ogkit.llm import canonical
from ogkit.llm.http_backend import OpenAIHttpBackend

WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}}


@pytest.fixture(scope="module")
def upstream():
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def node(model_store, upstream):
    return InferenceNode(model_store, llm_http=OpenAIHttpBackend(upstream.url, API_KEY))


@pytest.fixture(scope="module")
def gateway(node):
    server = serve(node, tls=False)
    yield server
    server.stop()


def test_an_upstream_chat_is_forwarded_and_signed(gateway, node, upstream):
    request = {"model": "stub-model", "messages": [{"role": "user", "content": "Hi"}], "seed": 5}
    status, headers, body = call(gateway, CHAT, request)
    assert status == 200
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "You said: Hi"}
    assert upstream.requests[-1] == ("/v1/chat/completions", request)  # as sent, seed and all
    assert (
        body["tee_request_hash"] == canonical.request_hash(canonical.chat_canonical(request)).hex()
    )
    assert body["tee_output_hash"] == canonical.output_hash("You said: Hi").hex()
    record = node.book.get(headers["x-settlement-job-id"])
    assert record.backend == "http" and record.model_id == "stub-model"


def test_upstream_tool_calls_are_hashed_as_the_sdk_hashes_them(gateway):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    request = {
        "model": "stub-model",
        "messages": [{"role": "user", "content": "What is the weather in Lisbon?"}],
        "tools": tools,
    }
    status, _, body = call(gateway, CHAT, request)
    (choice,) = body["choices"]
    assert (status, choice["finish_reason"]) == (200, "tool_calls")
    calls = choice["message"]["tool_calls"]
    assert calls == [
        {
            "id": "call_stub_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'},
        }
    ]
    # tee_verify.response_content_for_hash: json.dumps(tool_calls, sort_keys=True)
    expected = json.dumps(calls, sort_keys=True)
    assert body["tee_output_hash"] == canonical.output_hash(expected).hex()


def test_an_upstream_stream_and_an_upstream_completion(gateway):
    request = {"model": "stub-model", "messages": [{"role": "user", "content": "Yo"}]}
    status, _, text = call(gateway, CHAT, {**request, "stream": True})
    *content, final = sse_events(text)
    assert [e["choices"][0]["delta"] for e in content] == [
        {"role": "assistant", "content": ""},
        {"content": "You said: Yo"},
    ]
    assert final["choices"][0]["finish_reason"] == "stop" and final["tee_signature"]
    status, _, body = call(gateway, "/v1/completions", {"model": "stub-model", "prompt": "ab"})
    assert (status, body["completion"]) == (200, "echo: ab")


def test_upstream_failures_are_502(gateway):
    request = {"model": "broken-model", "messages": [{"role": "user", "content": "x"}]}
    status, _, body = call(gateway, CHAT, request)
    assert (status, body["error"]["code"]) == (502, "upstream_error")
    assert body["error"]["message"] == "LLM endpoint returned HTTP 500: upstream overloaded"
