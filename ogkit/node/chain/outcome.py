"""How an execution that did not succeed reads to a client: reverts, panics, refusals.

geth's wording throughout: "execution reverted: <reason>", "nonce too low", "insufficient
funds for gas * price + value", ... so clients that match on those messages work.
"""

from __future__ import annotations

from eth.abc import ComputationAPI
from eth.exceptions import Revert

from ogkit.chain.fork import FLOOR_DATA_GAS_ERROR
from ogkit.node.rpc.errors import ExecutionReverted, RpcError, ServerError

ERROR_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")
PANIC_REASONS = {
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array",
    0x31: "out-of-bounds pop()",
    0x32: "out-of-bounds array access",
    0x41: "out of memory",
    0x51: "uninitialized function pointer",
}


def revert_reason(output: bytes) -> str | None:
    """The reason an `Error(string)` or `Panic(uint256)` revert carries; None otherwise."""
    if output[:4] == ERROR_SELECTOR:
        try:
            from eth_abi import decode

            (reason,) = decode(["string"], output[4:])
            return reason
        except Exception:  # noqa: BLE001 - undecodable reason: report the bare revert
            return None
    if output[:4] == PANIC_SELECTOR and len(output) >= 36:
        code = int.from_bytes(output[4:36], "big")
        meaning = PANIC_REASONS.get(code, "unknown panic")
        return f"panic: {meaning} (0x{code:02x})"
    return None


def revert_message(output: bytes) -> str:
    """geth's wording: "execution reverted" plus the decoded reason when there is one."""
    reason = revert_reason(output)
    return "execution reverted" if reason is None else f"execution reverted: {reason}"


def computation_error(computation: ComputationAPI) -> RpcError:
    error = computation.error
    if isinstance(error, Revert):
        output = computation.output or (error.args[0] if error.args else b"")
        if not isinstance(output, bytes):
            output = b""
        return ExecutionReverted(revert_message(output), "0x" + output.hex())
    return ServerError(f"execution failed: {type(error).__name__}: {error}".rstrip(": "))


def rejection(exc: Exception) -> ServerError:
    """A transaction py-evm refuses before execution, in the words clients look for."""
    text = str(exc)
    if text.startswith("Invalid transaction nonce"):
        try:
            expected = int(text.split("Expected ")[1].split(",")[0])
            got = int(text.rsplit("got ", 1)[1])
        except (IndexError, ValueError):
            return ServerError(text)
        word = "low" if got < expected else "high"
        return ServerError(f"nonce too {word}: next nonce {expected}, tx nonce {got}")
    if "cannot afford txn gas" in text or "does not have enough balance" in text:
        return ServerError(f"insufficient funds for gas * price + value: {text}")
    if text.startswith("Transaction exceeds gas limit"):
        return ServerError(f"exceeds block gas limit: {text}")
    if text.startswith(FLOOR_DATA_GAS_ERROR):
        return ServerError(text)  # already geth's words (fork.py)
    if text == "Insufficient gas":
        return ServerError("intrinsic gas too low")
    if "lower than block's base fee" in text:
        return ServerError(f"max fee per gas less than block base fee: {text}")
    return ServerError(f"invalid transaction: {text}")
