"""JSON-RPC 2.0 over the node's chain: parsing, dispatch, errors, batches.

`Rpc.handle(body)` takes the raw request body and returns the raw response body (or None
when every request was a notification). It never raises: malformed JSON is -32700, a
request that is not a request -32600, an unknown method -32601, bad params -32602, a
revert 3 (with the revert data), a refused transaction -32000, anything unexpected -32603.
The methods themselves live in methods/, one module per namespace.
"""

from __future__ import annotations

import logging
import math
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ogkit.node.rpc.codec import encode, error_response, loads
from ogkit.node.rpc.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    MethodNotFound,
    RpcError,
)
from ogkit.node.rpc.filters import Filters
from ogkit.node.rpc.methods import Handler, method_table

if TYPE_CHECKING:
    from ogkit.node.chain import NodeChain

log = logging.getLogger("ogkit.node")

MAX_BATCH = 1_000
"""Requests in one batch; a larger batch is refused as a whole (-32600)."""


class Rpc:
    def __init__(
        self,
        node: NodeChain,
        client_version: str,
        request_log: Callable[[str], None] | None = None,
    ) -> None:
        self.node = node
        self.client_version = client_version
        self.request_log = request_log
        self.filters = Filters()
        self.methods: dict[str, Handler] = method_table(node, client_version, self.filters)

    def handle(self, body: bytes) -> bytes | None:
        try:
            payload = loads(body)
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            return encode(error_response(None, PARSE_ERROR, f"parse error: {str(exc)[:200]}"))
        if isinstance(payload, list):
            if not payload:
                return encode(error_response(None, INVALID_REQUEST, "empty batch"))
            if len(payload) > MAX_BATCH:
                return encode(
                    error_response(
                        None, INVALID_REQUEST, f"batch of {len(payload)} exceeds {MAX_BATCH}"
                    )
                )
            responses = [r for r in map(self.handle_one, payload) if r is not None]
            return _encode_all(responses) if responses else None
        response = self.handle_one(payload)
        return _encode_one(response) if response is not None else None

    def handle_one(self, request: Any) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return error_response(None, INVALID_REQUEST, "a request must be a JSON object")
        request_id = request.get("id")
        if request_id is not None and not _valid_id(request_id):
            # answered with a null id (the id cannot be echoed) and never run
            return error_response(None, INVALID_REQUEST, "id must be a string, a number or null")
        method = request.get("method")
        if not isinstance(method, str):
            return error_response(request_id, INVALID_REQUEST, "method must be a string")
        if request.get("jsonrpc", "2.0") != "2.0":
            return error_response(request_id, INVALID_REQUEST, 'jsonrpc must be "2.0"')
        if self.request_log is not None:
            self.request_log(method[:64])
        response = self._call(request_id, method, request.get("params"))
        if "id" not in request:
            return None  # a notification gets no response
        return response

    def _call(self, request_id: Any, method: str, params: Any) -> dict[str, Any]:
        try:
            handler = self.methods.get(method)
            if handler is None:
                raise MethodNotFound(method[:64])
            result = handler(params)
        except RpcError as exc:
            return error_response(request_id, exc.code, exc.message, exc.data)
        except RecursionError:
            return error_response(request_id, INTERNAL_ERROR, "internal error: nesting too deep")
        except Exception as exc:  # noqa: BLE001 - no request may take the node down
            traceback.print_exc(file=sys.stderr)
            return error_response(
                request_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"
            )
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _valid_id(request_id: Any) -> bool:
    """A string, an integer or a finite number (`1e400` parses as infinity, which JSON cannot
    carry back)."""
    if isinstance(request_id, str):
        return True
    if isinstance(request_id, float):
        return math.isfinite(request_id)
    return isinstance(request_id, int) and not isinstance(request_id, bool)


def _encode_all(responses: list[dict[str, Any]]) -> bytes:
    """Encode a batch's responses; one that cannot be encoded becomes an internal error on its
    own, so its siblings' answers are never lost."""
    try:
        return encode(responses)
    except (ValueError, TypeError, RecursionError):
        return b"[" + b",".join(map(_encode_one, responses)) + b"]"


def _encode_one(response: dict[str, Any]) -> bytes:
    try:
        return encode(response)
    except (ValueError, TypeError, RecursionError) as exc:
        log.error("unencodable response: %s: %.200s", type(exc).__name__, exc)
        request_id = response.get("id")
        return encode(
            error_response(
                request_id if _valid_id(request_id) else None,
                INTERNAL_ERROR,
                "internal error: the result cannot be encoded as JSON",
            )
        )
