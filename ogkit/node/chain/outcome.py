"""How an execution that did not succeed reads to a client: reverts, panics, refusals.

geth's wording throughout: "execution reverted: <reason>", "nonce too low", "insufficient
funds for gas * price + value", ... so clients that match on those messages work.
"""

from __future__ import annotations

from eth.abc import ComputationAPI
from eth.exceptions import Revert

from ogkit.chain.fork import FLOOR_DATA_GAS_ERROR
from ogkit.chain.reverts import revert_message
from ogkit.node.rpc.errors import ExecutionReverted, RpcError, ServerError


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
