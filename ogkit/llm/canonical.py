"""The request and output bytes OpenGradient's TEE gateway signs, and their hashes.

A signed response commits to keccak256 of a *canonical* request, not of the wire body: the
fields that shape the answer and nothing else (OpenGradient SDK 1.1.4,
`opengradient/client/tee_verify.py`, which mirrors the gateway):

    chat:        {model, messages*, temperature: float (0.0 if absent)[, max_tokens][, stop]
                  [, tools][, response_format][, web_search: true]}
    completion:  {model, prompt, temperature: float[, max_tokens][, stop][, web_search: true]}

serialized with `json.dumps(sort_keys=True)` (default separators, ASCII escapes). `stream`,
`seed`, `tool_choice`, `n`, … are left out. messages*: system and developer become
`{role: "system", content}`; user `{role, content}` (attachments reduced to
`{type[, filename]}`); assistant `{role, content or "", tool_calls: [{id, type, function:
{name, arguments}}]}`; tool `{role, content, tool_call_id}`; function `{role, content, name}`.
The completion form is not published by OpenGradient; it is the same rule over the
completion body. The output hash is keccak256 of the reply text, or of
`json.dumps(tool_calls, sort_keys=True)` when the reply is tool calls.

The gateway and 0xF4's TEE mode both hash through here, so one verifier serves both.
"""

from __future__ import annotations

import json
from typing import Any

from eth_utils import keccak


class CanonicalError(ValueError):
    """A request that has no canonical form (the gateway answers it with a 400)."""


def canonical_json(value: Any) -> bytes:
    """The exact bytes hashed: sorted keys, Python's default separators, ASCII escapes."""
    return json.dumps(value, sort_keys=True).encode("utf-8")


def request_hash(canonical: dict[str, Any]) -> bytes:
    return keccak(canonical_json(canonical))


def output_text(content: str, tool_calls: list[dict[str, Any]] | None = None) -> str:
    """What the output hash is taken over: the text, or the tool calls as sorted JSON."""
    if tool_calls:
        return json.dumps(tool_calls, sort_keys=True)
    return content


def output_hash(content: str, tool_calls: list[dict[str, Any]] | None = None) -> bytes:
    return keccak(output_text(content, tool_calls).encode("utf-8"))


def _user_content(content: Any) -> Any:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    parts: list[Any] = []
    for part in content:
        if not isinstance(part, dict):
            parts.append({"type": "text", "text": str(part)})
        elif part.get("type") == "text":
            parts.append({"type": "text", "text": part.get("text", "") or ""})
        else:
            entry: dict[str, Any] = {"type": part.get("type")}
            file = part.get("file")
            name = (file.get("filename") if isinstance(file, dict) else None) or part.get(
                "filename"
            )
            if name:
                entry["filename"] = name
            parts.append(entry)
    return parts


def _tool_call(call: Any) -> dict[str, Any]:
    if not isinstance(call, dict):
        raise CanonicalError("each tool call must be a JSON object")
    function = call.get("function", {})
    if not isinstance(function, dict):
        raise CanonicalError("a tool call's 'function' must be a JSON object")
    return {
        "id": call.get("id", ""),
        "type": call.get("type", "function"),
        "function": {"name": function.get("name", ""), "arguments": function.get("arguments", "")},
    }


def canonical_message(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise CanonicalError(f"each message must be a JSON object, got {type(message).__name__}")
    role = message.get("role")
    content = message.get("content")
    if role in ("system", "developer"):
        return {"role": "system", "content": content}
    if role == "user":
        return {"role": "user", "content": _user_content(content)}
    if role == "assistant":
        out: dict[str, Any] = {"role": "assistant", "content": content or ""}
        calls = message.get("tool_calls")
        if calls:
            if not isinstance(calls, list):
                raise CanonicalError("'tool_calls' must be a list")
            out["tool_calls"] = [_tool_call(c) for c in calls]
        return out
    if role == "tool":
        return {"role": "tool", "content": content, "tool_call_id": message.get("tool_call_id")}
    if role == "function":
        return {"role": "function", "content": content, "name": message.get("name")}
    raise CanonicalError(f"unknown message role: {role!r}")


def _common(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise CanonicalError("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise CanonicalError("the request is missing a 'model'")
    temperature = body.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool) or not isinstance(temperature, int | float)
    ):
        raise CanonicalError("'temperature' must be a number")
    return {"model": model, "temperature": float(temperature) if temperature is not None else 0.0}


def _tail(canonical: dict[str, Any], body: dict[str, Any], *, chat: bool) -> dict[str, Any]:
    if body.get("max_tokens") is not None:
        canonical["max_tokens"] = body["max_tokens"]
    if body.get("stop"):
        canonical["stop"] = body["stop"]
    if chat and body.get("tools"):
        if not isinstance(body["tools"], list):
            raise CanonicalError(f"'tools' must be a list, got {type(body['tools']).__name__}")
        canonical["tools"] = body["tools"]
    if chat and body.get("response_format"):
        canonical["response_format"] = body["response_format"]
    if body.get("web_search"):
        canonical["web_search"] = True
    return canonical


def chat_canonical(body: Any) -> dict[str, Any]:
    """The canonical form of a `/v1/chat/completions` body (as the SDK's `build_inner_request`)."""
    canonical = _common(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise CanonicalError("the request is missing 'messages'")
    canonical["messages"] = [canonical_message(m) for m in messages]
    return _tail(canonical, body, chat=True)


def completion_canonical(body: Any) -> dict[str, Any]:
    """The canonical form of a `/v1/completions` body."""
    canonical = _common(body)
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        raise CanonicalError("the request is missing a string 'prompt'")
    canonical["prompt"] = prompt
    return _tail(canonical, body, chat=False)


def body_canonical(body: dict[str, Any]) -> dict[str, Any]:
    """A chat body (it has `messages`) or a completion body, canonical."""
    return chat_canonical(body) if "messages" in body else completion_canonical(body)
