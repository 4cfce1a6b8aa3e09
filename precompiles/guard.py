"""The one way a precompile body ends: a result, never an exception into py-evm.

A body raises `PrecompileRevert` to revert with a readable reason; `run_guarded` turns that,
running out of gas, and any other exception into a `PrecompileResult` with the gas charged.
Revert data is `Error(string)`, the one format every client decodes.
"""

from __future__ import annotations

from collections.abc import Callable

from precompiles.abi.writer import encode_single, encode_string
from precompiles.gas import GasMeter, OutOfGasError
from precompiles.host import PrecompileResult

ERROR_SELECTOR = bytes.fromhex("08c379a0")
MAX_ECHO = 200
"""Characters of caller input (a model id, an exception's text) a revert reason repeats."""


def echo(value: object, limit: int = MAX_ECHO) -> str:
    """`value` as text for a revert reason, cut to `limit` characters: a 1 MB model id in the
    calldata must not become a 1 MB reason (and 3 MB of JSON-RPC error)."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text.encode(errors='replace'))} bytes)"


class PrecompileRevert(Exception):  # noqa: N818 - it is a revert, not an error class family
    """Raised inside a precompile to revert with a readable reason.

    The precompile catches it and turns it into `Error(reason)` revert data; it never leaves
    the `precompiles` package.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def error_data(reason: str) -> bytes:
    """ABI-encode `Error(reason)` so eth-tester, web3, Ape and Solidity all decode it."""
    return ERROR_SELECTOR + encode_single(encode_string(reason))


def run_guarded(
    name: str, meter: GasMeter, body: Callable[[], PrecompileResult]
) -> PrecompileResult:
    """Out of gas burns the frame; a `PrecompileRevert` or any other exception reverts with a
    readable `Error(string)`; either way the gas charged so far is paid."""
    try:
        return body()
    except OutOfGasError:
        return PrecompileResult(b"", meter.used, out_of_gas=True, reason="out of gas")
    except PrecompileRevert as exc:
        reason = exc.reason
    except Exception as exc:  # noqa: BLE001 - a Python exception must never escape into py-evm
        reason = f"{name}: internal error: {type(exc).__name__}: {echo(exc)}"
    return PrecompileResult(error_data(reason), meter.used, reverted=True, reason=reason)
