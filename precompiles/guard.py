"""The one way a precompile body ends: a result, never an exception into py-evm."""

from __future__ import annotations

from collections.abc import Callable

from precompiles.gas import GasMeter, OutOfGasError
from precompiles.result import PrecompileResult
from precompiles.revert import PrecompileRevert, error_data


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
        reason = f"{name}: internal error: {type(exc).__name__}: {exc}"
    return PrecompileResult(error_data(reason), meter.used, reverted=True, reason=reason)
