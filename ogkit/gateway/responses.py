"""The gateway's bodies, in the shapes OpenAI clients and OpenGradient's SDK 1.1.4 read.

- chat: `choices[0].message`, `finish_reason`, `usage`, and at the top level the TEE fields
  `tee_signature` (base64 RSA-PSS), `tee_timestamp` (int), `tee_request_hash`,
  `tee_output_hash`, `tee_id` (0x-hex);
- completion: the SDK reads the top-level `"completion"`; OpenAI clients `choices[0].text`:
  both are there;
- a stream: `data: {chunk}` lines. Content chunks carry `finish_reason: null` and no `usage`
  (the SDK treats a chunk with either as final and keeps only the last final one), then one
  final chunk carries `finish_reason`, `usage` and the TEE fields, then `data: [DONE]`;
- errors: `{"error": {"message", "type", "param", "code"}}` as OpenAI sends them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ogkit.gateway.generation import Outcome
from ogkit.llm.engine import TeeResponse

TEE_FIELDS = ("tee_signature", "tee_timestamp", "tee_request_hash", "tee_output_hash", "tee_id")
ERROR_TYPES = {
    400: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


def tee_fields(tee: TeeResponse) -> dict[str, Any]:
    fields = asdict(tee)
    return {name: fields[name] for name in TEE_FIELDS}


def usage(outcome: Outcome) -> dict[str, int]:
    return {
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
        "total_tokens": outcome.prompt_tokens + outcome.completion_tokens,
    }


def _message(outcome: Outcome) -> dict[str, Any]:
    if outcome.tool_calls:
        return {
            "role": "assistant",
            "content": outcome.content or None,
            "tool_calls": outcome.tool_calls,
        }
    return {"role": "assistant", "content": outcome.content}


def chat_body(
    job_id: str, model: str, created: int, outcome: Outcome, tee: TeeResponse
) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{job_id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "message": _message(outcome), "finish_reason": outcome.finish_reason}
        ],
        "usage": usage(outcome),
        **tee_fields(tee),
    }


def completion_body(
    job_id: str, model: str, created: int, outcome: Outcome, tee: TeeResponse
) -> dict[str, Any]:
    return {
        "id": f"cmpl-{job_id}",
        "object": "text_completion",
        "created": created,
        "model": model,
        "completion": outcome.content,
        "choices": [
            {
                "index": 0,
                "text": outcome.content,
                "finish_reason": outcome.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": usage(outcome),
        **tee_fields(tee),
    }


def _chunk(job_id: str, model: str, created: int, choice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{job_id}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, **choice}],
    }


def content_chunk(job_id: str, model: str, created: int, delta: dict[str, Any]) -> dict[str, Any]:
    return _chunk(job_id, model, created, {"delta": delta, "finish_reason": None})


def final_chunk(
    job_id: str, model: str, created: int, outcome: Outcome, tee: TeeResponse
) -> dict[str, Any]:
    delta: dict[str, Any] = {"tool_calls": outcome.tool_calls} if outcome.tool_calls else {}
    chunk = _chunk(job_id, model, created, {"delta": delta, "finish_reason": outcome.finish_reason})
    return {**chunk, "usage": usage(outcome), **tee_fields(tee)}


def sse(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return f"data: {text}\n\n".encode()


DONE = sse("[DONE]")


def error_body(status: int, message: str, param: str | None = None, code: str | None = None):
    """OpenAI's error object."""
    return {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status, "server_error"),
            "param": param,
            "code": code,
        }
    }


def models_body(names: list[str], created: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "ogkit"}
            for name in names
        ],
    }


def settlement_body(record: Any) -> dict[str, Any]:
    """`GET /v1/settlements/{job id}`: how far a gateway answer settled, and what to check it
    with (the relay's `isSettled`, or `verifyProof` with this proof against the batch root)."""
    tee = record.tee
    return {
        "job_id": record.inference_id,
        "status": record.state.value,
        "settlement": record.settlement,
        "settlement_type": record.settlement_type,
        "tx_hash": record.settlement_tx,
        "merkle_root": "0x" + record.merkle_root.hex() if record.merkle_root else None,
        "merkle_proof": ["0x" + p.hex() for p in record.merkle_proof],
        "payment": getattr(record, "payment", None),
        **(tee_fields(tee) if tee is not None else {}),
    }
