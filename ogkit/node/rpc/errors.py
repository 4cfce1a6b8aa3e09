"""JSON-RPC error objects the node returns (codes as geth and anvil use them)."""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
LIMIT_EXCEEDED = -32005
"""EIP-1474's "limit exceeded": the node is at its connection cap."""
SERVER_ERROR = -32000
"""geth's code for a transaction the node refuses (nonce, funds, gas) or a failed call."""
EXECUTION_REVERTED = 3
"""geth's and anvil's code for a revert; `data` carries the revert bytes."""


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class InvalidParams(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(INVALID_PARAMS, message)


class InvalidRequest(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(INVALID_REQUEST, message)


class MethodNotFound(RpcError):
    def __init__(self, method: str) -> None:
        super().__init__(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")


class ServerError(RpcError):
    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(SERVER_ERROR, message, data)


class ExecutionReverted(RpcError):
    def __init__(self, message: str, data: str) -> None:
        super().__init__(EXECUTION_REVERTED, message, data)
