"""0xF4 LLM requests in OpenAI's wire format, and the TEE gateway's hashes over them.

The body is what the HTTP backend POSTs; `tee_request_hash` is taken over its canonical form
(`ogkit.llm.canonical`: the fields OpenGradient's TEE gateway commits to, without `seed` or
`tool_choice`), so the SDK's verifier accepts 0xF4's signatures as it does the gateway's.
`tee_output_hash` is keccak256 of the reply's content, or for tool calls of the sorted-key
JSON of `tool_calls`.
"""

from __future__ import annotations

import json
from typing import Any

from eth_utils import keccak

from ogkit.llm import canonical
from precompiles.host import LLMRequest, LLMResult
from precompiles.inference.llm_types import ChatMessage, LLMChatRequest, LLMCompletionRequest


def _message(m: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.name:
        out["name"] = m.name
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    if m.tool_calls:
        out["tool_calls"] = tool_calls_json(m.tool_calls)
    return out


def tool_calls_json(calls) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in calls
    ]


def request_body(request: LLMRequest, model: str, seed: int | None = None) -> dict[str, Any]:
    """The OpenAI `/v1/completions` or `/v1/chat/completions` body of a 0xF4 request."""
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature / 100,
    }
    if request.stop_sequence:
        body["stop"] = list(request.stop_sequence)
    if seed is not None:
        body["seed"] = seed
    if isinstance(request, LLMCompletionRequest):
        body["prompt"] = request.prompt
        return body
    assert isinstance(request, LLMChatRequest)
    body["messages"] = [_message(m) for m in request.messages]
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": json.loads(t.parameters),
                },
            }
            for t in request.tools
        ]
        if request.tool_choice:
            body["tool_choice"] = _tool_choice(request.tool_choice)
    return body


def _tool_choice(choice: str) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def request_hash(body: dict[str, Any]) -> bytes:
    """keccak256 of the body's canonical form, as the TEE gateway hashes a request."""
    return canonical.request_hash(canonical.body_canonical(body))


def output_hash(result: LLMResult) -> bytes:
    if result.message.tool_calls:
        return keccak(canonical_json(tool_calls_json(result.message.tool_calls)).encode("utf-8"))
    return keccak(result.message.content.encode("utf-8"))
