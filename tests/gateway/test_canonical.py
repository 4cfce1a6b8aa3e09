"""The request hash the gateway (and 0xF4's TEE mode) signs is the one OpenGradient's SDK
recomputes: `ogkit.llm.canonical` against the SDK's own `tee_verify` (opengradient 1.1.4, in
its venv), and a 0xF4 TEE signature accepted by the SDK's `verify_response`."""

from __future__ import annotations

import base64
import json

import pytest
from gateway_support import run_sdk

from ogkit.llm import canonical
from ogkit.llm.openai_format import output_hash, request_body, request_hash
from precompiles.host import LLMResult
from precompiles.inference.llm_types import ChatMessage, LLMChatRequest, ToolCall, ToolDefinition

WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}}
BODIES = [
    {"model": "m", "messages": [{"role": "user", "content": "Hello!"}]},
    {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use tools."},
            {"role": "user", "content": "Weather in Paris? ünïcode ✓"},
            {
                "role": "assistant",
                "content": None,
                "name": "bot",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "content": "18C", "tool_call_id": "c1", "name": "w"},
            {"role": "function", "content": "x", "name": "f"},
        ],
        "temperature": 1,
        "max_tokens": 7,
        "stop": ["\n"],
        "seed": 42,
        "stream": True,
        "n": 2,
        "tools": [{"type": "function", "function": {"name": "w", "parameters": WEATHER}}],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
        "web_search": True,
    },
    {
        "model": "vision",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "file", "file": {"filename": "a.pdf", "file_data": "QUJD"}},
                ],
            }
        ],
        "temperature": 0.7,
        "stop": [],
    },
]

SDK_HASHES = """
import json, sys
from eth_hash.auto import keccak
from opengradient.client.tee_verify import build_inner_request, canonical_request_bytes
for body in json.loads(sys.stdin.read()):
    print(keccak(canonical_request_bytes(build_inner_request(body)[1])).hex())
"""


def test_chat_request_hashes_are_the_sdks(sdk_python):
    ours = [canonical.request_hash(canonical.chat_canonical(b)).hex() for b in BODIES]
    assert run_sdk(sdk_python, SDK_HASHES, json.dumps(BODIES)).split() == ours


def test_the_canonical_form_drops_what_the_gateway_does_not_commit_to():
    assert canonical.chat_canonical(BODIES[1]) == {
        "model": "gpt-x",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "system", "content": "Use tools."},
            {"role": "user", "content": "Weather in Paris? ünïcode ✓"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "content": "18C", "tool_call_id": "c1"},
            {"role": "function", "content": "x", "name": "f"},
        ],
        "temperature": 1.0,
        "max_tokens": 7,
        "stop": ["\n"],
        "tools": [{"type": "function", "function": {"name": "w", "parameters": WEATHER}}],
        "response_format": {"type": "json_object"},
        "web_search": True,
    }
    assert b"\\u00fcn\\u00efcode \\u2713" in canonical.canonical_json(
        canonical.chat_canonical(BODIES[1])
    )


def test_completion_canonical_form():
    body = {"model": "m", "prompt": "Hi", "max_tokens": 5, "seed": 1, "stop": "x", "n": 3}
    assert canonical.completion_canonical(body) == {
        "model": "m",
        "prompt": "Hi",
        "temperature": 0.0,
        "max_tokens": 5,
        "stop": "x",
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "the request body must be a JSON object"),
        ({"messages": [{"role": "user", "content": "x"}]}, "the request is missing a 'model'"),
        ({"model": "m", "messages": []}, "the request is missing 'messages'"),
        ({"model": "m", "messages": ["hi"]}, "each message must be a JSON object, got str"),
        ({"model": "m", "messages": [{"role": "robot"}]}, "unknown message role: 'robot'"),
        (
            {"model": "m", "messages": [{"role": "user"}], "tools": {"a": 1}},
            "'tools' must be a list, got dict",
        ),
        (
            {"model": "m", "messages": [{"role": "user"}], "temperature": "hot"},
            "'temperature' must be a number",
        ),
    ],
)
def test_requests_without_a_canonical_form_are_refused(body, reason):
    with pytest.raises(canonical.CanonicalError) as refused:
        canonical.chat_canonical(body)
    assert str(refused.value) == reason


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
    expected_tee_id=case["tee_id"],
)
print(proof.request_hash)
"""


def test_a_0xf4_tee_signature_passes_the_sdks_verifier(sdk_python, enclave):
    """0xF4's chat body carries seed, tool_choice and message names, which the gateway does
    not commit to: its request hash is the canonical one all the same."""
    request = LLMChatRequest(
        1,
        "tiny-llm",
        (ChatMessage("user", "Weather in Paris?", name="ann"),),
        (ToolDefinition("Weather", "get_weather", json.dumps(WEATHER)),),
        "auto",
        32,
        (),
        50,
    )
    body = request_body(request, "tiny-llm", seed=7)
    assert body["seed"] == 7 and body["tool_choice"] == "auto"
    calls = (ToolCall("call_1", "get_weather", '{"city": "Paris"}'),)
    result = LLMResult("tool_calls", ChatMessage("assistant", "", tool_calls=calls), 9)
    signed = enclave.sign_result(request_hash(body), output_hash(result), 1_700_000_000)
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    response = {
        "choices": [{"message": {"tool_calls": tool_calls}, "finish_reason": "tool_calls"}],
        "tee_signature": base64.b64encode(signed.signature).decode(),
        "tee_request_hash": signed.input_hash.hex(),
        "tee_output_hash": signed.output_hash.hex(),
        "tee_timestamp": signed.timestamp,
        "tee_id": "0x" + enclave.tee_id.hex(),
    }
    case = {
        "body": body,
        "response": response,
        "pem": enclave.signing_public_key_pem.decode(),
        "tee_id": "0x" + enclave.tee_id.hex(),
    }
    printed = run_sdk(sdk_python, SDK_VERIFY, json.dumps(case)).strip()
    assert printed == signed.input_hash.hex()
