"""JSON in and out of the node: a parser that refuses what could crash the process (NaN,
nesting deeper than the C stack takes), a compact encoder, and error objects whose message
is bounded (it may echo a client's input)."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

MAX_ERROR_MESSAGE = 1024
"""Characters of an error message sent back; a longer one (it echoes some input) is cut."""

MAX_NESTING = 64
"""JSON nesting depth a request may have. Deeper input is refused before parsing: py-evm
raises Python's recursion limit to 100,000, far past what the C stack can take, so
`json.loads` of 100,000 nested brackets would crash the process instead of raising."""

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def too_deep(body: bytes, limit: int = MAX_NESTING) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    steps = np.frombuffer(brackets, dtype=np.uint8)
    depth = np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
    return bool(depth.size) and int(depth.max()) > limit


def loads(body: bytes | str) -> Any:
    """`json.loads` that refuses NaN/Infinity and nesting deeper than `MAX_NESTING`."""
    raw = body.encode() if isinstance(body, str) else body
    if too_deep(raw):
        raise ValueError(f"JSON nested deeper than {MAX_NESTING} levels")
    return json.loads(raw, parse_constant=_no_constants)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def bounded(text: str, limit: int = MAX_ERROR_MESSAGE) -> str:
    """`text`, or its first `limit` characters and how long it was: an error that echoes a
    megabyte of input must not become a megabyte of answer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text.encode(errors='replace'))} bytes)"


def error_response(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    """The one place every JSON-RPC error object is made (so every message is bounded)."""
    error: dict[str, Any] = {"code": code, "message": bounded(message)}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
