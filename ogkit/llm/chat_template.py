"""The chat template of the project's LLMs ("ogkit-chat/1") and its tool-call format.

A conversation renders as one prompt, every turn closed by `<|end|>` and a newline:

    <|system|>You are a helpful assistant.<|end|>
    <|tools|>- get_weather: Current weather for a city. Arguments: {"type": "object", …}<|end|>
    <|user|>What is the weather in Paris?<|end|>
    <|assistant|><tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>
    <|end|>                    (no line break before <|end|>: wrapped here to fit)
    <|tool|>{"city": "Paris", "temperature_c": 18}<|end|>
    <|assistant|>

The tools block (one line per tool: name, description, JSON Schema of the arguments)
follows the system turn and is left out without tools or when `tool_choice` is "none".
The prompt ends with `<|assistant|>`: the model writes the reply and closes it with
`<|end|>`. A tool call is written Hermes/Qwen style,
`<tool_call>{"name": …, "arguments": {…}}</tool_call>`; `parse_reply` turns such blocks
back into `ToolCall`s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from eth_utils import keccak

from precompiles.inference.llm_types import ChatMessage, ToolCall, ToolDefinition

NAME = "ogkit-chat/1"
END = "<|end|>"
ROLE_TOKENS = {
    "system": "<|system|>",
    "tools": "<|tools|>",
    "user": "<|user|>",
    "assistant": "<|assistant|>",
    "tool": "<|tool|>",
}
TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
SPECIAL_TOKENS = ("<|pad|>", END, *ROLE_TOKENS.values())
_TOOL_CALL = re.compile(re.escape(TOOL_CALL_OPEN) + r"(.*?)" + re.escape(TOOL_CALL_CLOSE), re.S)


def render_tool_call(call: ToolCall) -> str:
    arguments = json.loads(call.arguments) if call.arguments else {}
    body = json.dumps({"name": call.name, "arguments": arguments})
    return f"{TOOL_CALL_OPEN}{body}{TOOL_CALL_CLOSE}"


def render_tools(tools: Iterable[ToolDefinition]) -> str:
    lines = [
        f"- {t.name}: {t.description}. Arguments: {json.dumps(json.loads(t.parameters))}"
        for t in tools
    ]
    return "\n".join(lines)


def render(
    messages: Iterable[ChatMessage],
    tools: Iterable[ToolDefinition] = (),
    tool_choice: str = "",
    add_generation_prompt: bool = True,
) -> str:
    """The prompt for `messages` (system turns first, then the tools block)."""
    messages = list(messages)
    tools = list(tools) if tool_choice != "none" else []
    parts: list[str] = []
    leading = 0
    while leading < len(messages) and messages[leading].role == "system":
        parts.append(_turn("system", messages[leading].content))
        leading += 1
    if tools:
        parts.append(_turn("tools", render_tools(tools)))
    for message in messages[leading:]:
        content = message.content + "".join(render_tool_call(c) for c in message.tool_calls)
        parts.append(_turn(message.role, content))
    if add_generation_prompt:
        parts.append(ROLE_TOKENS["assistant"])
    return "".join(parts)


def _turn(role: str, content: str) -> str:
    return f"{ROLE_TOKENS[role]}{content}{END}\n"


@dataclass(frozen=True)
class Reply:
    content: str
    tool_calls: tuple[ToolCall, ...]


def parse_reply(text: str, tool_names: Iterable[str], call_id_seed: str) -> Reply:
    """Split generated text into content and tool calls to the offered tools.

    A block that is not `{"name": <offered tool>, "arguments": {…}}` stays in the content,
    as the model wrote it. Call ids are derived from `call_id_seed` (the inference id), so
    replays name them alike.
    """
    offered = set(tool_names)
    calls: list[ToolCall] = []

    def take(match: re.Match[str]) -> str:
        try:
            body = json.loads(match.group(1))
        except ValueError:
            return match.group(0)
        if (
            not isinstance(body, dict)
            or body.get("name") not in offered
            or not isinstance(body.get("arguments", {}), dict)
        ):
            return match.group(0)
        call_id = "call_" + keccak(text=f"{call_id_seed}:{len(calls)}").hex()[:24]
        calls.append(ToolCall(call_id, body["name"], json.dumps(body.get("arguments", {}))))
        return ""

    content = _TOOL_CALL.sub(take, text) if offered else text
    return Reply(content.strip() if calls else content, tuple(calls))
