"""The gateway's models: ogkit's LLM engine (local ONNX LMs, an OpenAI-compatible upstream),
driven token by token with a wall-clock budget.

A local LM streams its text as it decodes (`OnnxCausalLM.stream`), so a client that leaves
stops it between two tokens, and the budget ends it. An upstream answers whole (the HTTP
backend does not stream): its reply is one piece, bounded by the backend's timeout.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ogkit.gateway.requests import GatewayRequest
from ogkit.llm import chat_template
from ogkit.llm.bundle import read_bundle
from ogkit.llm.engine import LLMEngine
from ogkit.llm.openai_format import tool_calls_json
from precompiles.host import LLMResult, LLMSpec, ModelExecutionError, ModelNotFound

MANIFEST_MAX_BYTES = 64 * 1024
"""An LLM bundle's manifest is small JSON; bigger store entries are model weights."""


class GenerationError(RuntimeError):
    """The model could not answer (missing, too long a prompt, upstream down): `status`."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Outcome:
    """A finished (or cut) generation: what is signed and counted."""

    content: str = ""
    finish_reason: str = "stop"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Generation:
    """Iterate the reply's text pieces; `outcome` is set once the iteration ended. `close()`
    stops a local model between tokens (the client left)."""

    def __init__(self, pieces: Iterator[str], finish: Any) -> None:
        self._pieces = pieces
        self._finish = finish
        self.outcome: Outcome | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces
        self.outcome = self._finish()

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


class GatewayModels:
    def __init__(self, engine: LLMEngine, upstream_models: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.upstream_models = upstream_models

    def resolve(self, model: str) -> LLMSpec:
        try:
            return self.engine.resolve_llm(model)
        except ModelNotFound:
            message = f"the model {model!r} does not exist"
            raise GenerationError(message, 404, "model_not_found") from None
        except ModelExecutionError as exc:
            raise GenerationError(str(exc), 500, "model_error") from None

    def listed(self) -> list[str]:
        """The LLM bundles the store names by alias, then the configured upstream models."""
        store = self.engine.store
        names = []
        for alias, cid in sorted(store.aliases().items()):
            try:
                if store.resolve(cid).size_bytes <= MANIFEST_MAX_BYTES:
                    read_bundle(store, cid)
                    names.append(alias)
            except (ModelNotFound, ModelExecutionError, ValueError, KeyError):
                continue
        return names + [m for m in self.upstream_models if m not in names]

    def start(self, spec: LLMSpec, request: GatewayRequest, seconds: float) -> Generation:
        """Begin generating; the local model's first token runs on the first iteration."""
        if spec.backend == "http":
            return self._upstream(request)
        _bundle, lm = self.engine._by_hash[spec.model_hash]
        chat = request.kind == "chat"
        prompt = (
            chat_template.render(request.messages, request.tools, request.tool_choice)
            if chat
            else request.prompt
        )
        try:
            stream = lm.stream(
                prompt,
                request.max_tokens,
                request.stop,
                request.temperature,
                secrets.randbits(63),
                time.monotonic() + seconds,
            )
        except ModelExecutionError as exc:
            raise GenerationError(str(exc), 400, "context_length_exceeded") from None
        offered = [t.name for t in request.tools] if request.tool_choice != "none" else []
        pieces: Iterator[str] = stream
        if offered:  # a tool call is known only once the reply is whole
            pieces = _drained(stream)

        def finish() -> Outcome:
            done = stream.result
            assert done is not None
            outcome = Outcome(
                done.text, done.finish_reason, [], done.prompt_tokens, done.completion_tokens
            )
            if offered:
                reply = chat_template.parse_reply(done.text, offered, request.canonical["model"])
                if reply.tool_calls:
                    outcome.content, outcome.finish_reason = reply.content, "tool_calls"
                    outcome.tool_calls = tool_calls_json(reply.tool_calls)
            return outcome

        return Generation(pieces, finish)

    def _upstream(self, request: GatewayRequest) -> Generation:
        http = self.engine.http
        assert http is not None
        body = {k: v for k, v in request.body.items() if k != "stream"}
        try:
            result: LLMResult = http.chat(body) if request.kind == "chat" else http.complete(body)
        except ModelExecutionError as exc:
            raise GenerationError(str(exc), 502, "upstream_error") from None
        calls = tool_calls_json(result.message.tool_calls)
        outcome = Outcome(
            result.message.content,
            result.finish_reason,
            calls,
            result.prompt_tokens,
            result.completion_tokens,
        )
        text = [] if calls else [result.message.content]
        return Generation(iter(text), lambda: outcome)


def _drained(stream: Any) -> Iterator[str]:
    """Run the stream to its end, yielding nothing: the server sends the parsed reply."""
    for _ in stream:
        pass
    yield from ()
