"""The small interface through which 0xF4's LLM functions reach an LLM node.

Like `backend.InferenceBackend` for ONNX models: the chain hands one in (a local ONNX causal
LM, an OpenAI-compatible HTTP endpoint, or a router over both) and the precompile only
validates, charges gas, encodes and emits. Backends raise `ModelNotFound` for unknown model
ids and `ModelExecutionError` for everything the model, runtime or endpoint rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from precompiles.llm_types import ChatMessage, LLMChatRequest, LLMCompletionRequest
from precompiles.result import CallContext


@dataclass(frozen=True)
class LLMSpec:
    model_id: str
    """The id the request named (CID, alias or the endpoint's model name)."""
    model_hash: bytes
    """32 bytes that pin the model: results, inference ids and records are keyed by it."""
    backend: str
    """Which kind of node runs it, e.g. "onnx" or "http"."""


@dataclass(frozen=True)
class LLMResult:
    """One generation. A completion's answer is `message.content`."""

    finish_reason: str
    """"stop" (end token or stop sequence), "length" (max_tokens) or "tool_calls"."""
    message: ChatMessage
    completion_tokens: int
    """Tokens generated: what gas is charged per."""


LLMRequest = LLMCompletionRequest | LLMChatRequest


class LLMBackend(Protocol):
    def resolve_llm(self, model_id: str) -> LLMSpec:
        """Find an LLM by id; raise `ModelNotFound` if there is none."""
        ...

    def generate(
        self, model: LLMSpec, request: LLMRequest, inference_id: str, context: CallContext
    ) -> LLMResult:
        """Run (or replay from the record) one completion or chat turn.

        Temperature > 0 must sample with a seed derived from `inference_id`, so every replay
        of a block gives the same text.
        """
        ...

    def record_llm(
        self,
        model: LLMSpec,
        request: LLMRequest,
        result: LLMResult,
        inference_id: str,
        context: CallContext,
    ) -> None:
        """Keep the record of an LLM call the precompile returned successfully (never called
        in a static call or for a call that reverts)."""
        ...
