"""Typed views of 0xF4's LLM structs (`runLLMCompletion`, `runLLMChat`), free of ABI details.

Field order mirrors the Solidity structs in ogkit/solidity/OGInference.sol, so an
eth-abi tuple maps onto a dataclass one to one, and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class LLMInferenceMode(IntEnum):
    VANILLA = 0
    TEE = 1


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """JSON text of the arguments object."""


@dataclass(frozen=True)
class ToolDefinition:
    description: str
    name: str
    parameters: str
    """JSON Schema text of the tool's arguments (required)."""


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str
    name: str = ""
    tool_call_id: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class LLMCompletionRequest:
    mode: int
    model_cid: str
    prompt: str
    max_tokens: int
    stop_sequence: tuple[str, ...]
    temperature: int
    """0–100 = temperature × 100."""


@dataclass(frozen=True)
class LLMCompletionResponse:
    answer: str


@dataclass(frozen=True)
class LLMChatRequest:
    mode: int
    model_cid: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolDefinition, ...]
    tool_choice: str
    max_tokens: int
    stop_sequence: tuple[str, ...]
    temperature: int


@dataclass(frozen=True)
class LLMChatResponse:
    finish_reason: str
    message: ChatMessage
