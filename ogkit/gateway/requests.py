"""What the gateway accepts: an OpenAI chat or completion body, checked field by field.

Everything a client can send is bounded here (`GatewayLimits`), before a model runs: the body
size, the messages, the tools, `max_tokens`; the concurrent generations and the wall clock
of one generation are bounded by the server with the same limits. A body that breaks a rule
is a `BadRequest`, answered 400 with an OpenAI-style error naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ogkit.llm.canonical import CanonicalError, chat_canonical, completion_canonical
from precompiles.inference.llm_types import ChatMessage, ToolCall, ToolDefinition

SETTLEMENT_TYPES = ("batch", "individual", "private")
"""X-SETTLEMENT-TYPE values: SDK 1.1.4 sends "batch" (default) or "private"; older SDKs
"individual"."""


@dataclass(frozen=True)
class GatewayLimits:
    max_body_bytes: int = 1 << 20
    max_tokens: int = 1024
    """The most a request may ask for; a request without max_tokens gets `default_tokens`."""
    default_tokens: int = 256
    max_messages: int = 256
    max_tools: int = 32
    max_stop: int = 4
    max_concurrent: int = 2
    """Generations at once; one more is answered 429 at once, not queued."""
    generation_seconds: float = 30.0
    """Wall clock of one generation: it ends there with finish_reason "length"."""
    read_seconds: float = 10.0
    """A client that sends its request slower than this is dropped."""
    max_connections: int = 64
    """Connections served at once (a thread each); one more is closed unanswered."""


class BadRequest(ValueError):
    """A malformed request: `param` names the field, the message says what is wrong."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.status = status


@dataclass(frozen=True)
class GatewayRequest:
    kind: str
    """"chat" or "completion"."""
    body: dict[str, Any]
    canonical: dict[str, Any]
    """What the response's request hash is taken over (`ogkit.llm.canonical`)."""
    model: str
    max_tokens: int
    temperature: float
    stop: tuple[str, ...]
    stream: bool
    settlement_type: str
    prompt: str = ""
    messages: tuple[ChatMessage, ...] = ()
    tools: tuple[ToolDefinition, ...] = ()
    tool_choice: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def parse_request(
    kind: str, body: dict[str, Any], settlement_header: str | None, limits: GatewayLimits
) -> GatewayRequest:
    """Check a chat ("chat") or completion ("completion") body against `limits`."""
    settlement = (settlement_header or "batch").strip().lower()
    if settlement not in SETTLEMENT_TYPES:
        raise BadRequest(
            f"X-SETTLEMENT-TYPE must be one of {', '.join(SETTLEMENT_TYPES)}", "X-SETTLEMENT-TYPE"
        )
    try:
        canonical = chat_canonical(body) if kind == "chat" else completion_canonical(body)
    except CanonicalError as exc:
        raise BadRequest(str(exc)) from None
    common = dict(
        kind=kind,
        body=body,
        canonical=canonical,
        model=body["model"],
        max_tokens=_max_tokens(body.get("max_tokens"), limits),
        temperature=_temperature(body.get("temperature")),
        stop=_stop(body.get("stop"), limits),
        stream=_flag(body.get("stream"), "stream"),
        settlement_type=settlement,
    )
    if kind == "completion":
        if common["stream"]:
            raise BadRequest("streaming is served on /v1/chat/completions only", "stream")
        return GatewayRequest(prompt=body["prompt"], **common)
    messages = body["messages"]
    if len(messages) > limits.max_messages:
        raise BadRequest(f"more than {limits.max_messages} messages", "messages")
    tools = _tools(body.get("tools"), limits)
    return GatewayRequest(
        messages=tuple(_message(m, i) for i, m in enumerate(messages)),
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice"), tools),
        **common,
    )


def _max_tokens(value: Any, limits: GatewayLimits) -> int:
    if value is None:
        return min(limits.default_tokens, limits.max_tokens)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest("'max_tokens' must be a positive integer", "max_tokens")
    if value > limits.max_tokens:
        raise BadRequest(f"'max_tokens' may be at most {limits.max_tokens}", "max_tokens")
    return value


def _temperature(value: Any) -> float:
    if value is None:
        return 0.0
    if not 0 <= float(value) <= 2:
        raise BadRequest("'temperature' must be between 0 and 2", "temperature")
    return float(value)


def _stop(value: Any, limits: GatewayLimits) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise BadRequest("'stop' must be a non-empty string or a list of them", "stop")
    if len(stops) > limits.max_stop:
        raise BadRequest(f"'stop' may hold at most {limits.max_stop} sequences", "stop")
    return tuple(stops)


def _flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false", name)
    return value


def _text(content: Any, param: str) -> str:
    """A message's content as text: a string, null, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in content
    ):
        return "".join(p["text"] for p in content)
    raise BadRequest("content must be a string or a list of text parts", param)


def _message(message: dict[str, Any], index: int) -> ChatMessage:
    param = f"messages[{index}]"
    role = "system" if message["role"] == "developer" else message["role"]
    if role not in ("system", "user", "assistant", "tool"):
        raise BadRequest(f"role {role!r} is not served", f"{param}.role")
    calls = tuple(_tool_call(c, f"{param}.tool_calls") for c in message.get("tool_calls") or ())
    if calls and role != "assistant":
        raise BadRequest("only assistant messages may carry tool calls", param)
    return ChatMessage(
        role,
        _text(message.get("content"), f"{param}.content"),
        tool_call_id=str(message.get("tool_call_id") or ""),
        tool_calls=calls,
    )


def _tool_call(call: dict[str, Any], param: str) -> ToolCall:
    function = call.get("function") or {}
    name, arguments = function.get("name"), function.get("arguments", "")
    if not isinstance(name, str) or not name or not isinstance(arguments, str):
        raise BadRequest("a tool call needs a function name and string arguments", param)
    return ToolCall(str(call.get("id", "")), name, arguments)


def _tools(value: Any, limits: GatewayLimits) -> tuple[ToolDefinition, ...]:
    if not value:
        return ()
    if len(value) > limits.max_tools:
        raise BadRequest(f"more than {limits.max_tools} tools", "tools")
    tools = []
    for index, tool in enumerate(value):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name or tool.get("type", "function") != "function":
            raise BadRequest("a tool must be {type: function, function: {name, …}}", "tools")
        parameters = function.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, dict):
            raise BadRequest(f"tools[{index}].function.parameters must be an object", "tools")
        description = function.get("description", "")
        tools.append(ToolDefinition(str(description), name, json.dumps(parameters)))
    return tuple(tools)


def _tool_choice(value: Any, tools: tuple[ToolDefinition, ...]) -> str:
    if value is None:
        return "auto" if tools else ""
    if value in ("auto", "none", "required"):
        return value
    name = value.get("function", {}).get("name") if isinstance(value, dict) else None
    if name not in {t.name for t in tools}:
        raise BadRequest("'tool_choice' must be auto, none, required or an offered tool")
    return name
