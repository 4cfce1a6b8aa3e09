"""Adapts a plain `precompiles` function to py-evm's `fn(computation) -> computation`."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from eth.abc import ComputationAPI
from eth.exceptions import OutOfGas, Revert

from ogkit.chain.phase import current_phase
from precompiles.guard import error_data
from precompiles.host import CallContext, PrecompileResult

PrecompileFn = Callable[[bytes, CallContext], PrecompileResult]


_POSITION = "_ogkit_precompile_position"
"""The attribute on py-evm's per-transaction context that counts our precompile calls."""


def _position(computation: ComputationAPI) -> tuple[int, int]:
    """(origin nonce, call index) of this call within its transaction.

    py-evm makes a new transaction context for every execution of a transaction (mined,
    eth_call, each estimate attempt, a trace's re-execution), so a count kept on it starts
    at 0 in each and follows the transaction's own path: deterministic across replays.
    """
    context = computation.transaction_context
    counter = getattr(context, _POSITION, None)
    if counter is None:
        counter = (computation.state.get_nonce(context.origin), itertools.count())
        setattr(context, _POSITION, counter)
    return counter[0], next(counter[1])


def call_context(computation: ComputationAPI) -> CallContext:
    msg = computation.msg
    origin_nonce, call_index = _position(computation)
    return CallContext(
        sender=msg.sender,
        origin=computation.transaction_context.origin,
        block_number=computation.state.block_number,
        timestamp=computation.state.timestamp,
        gas_available=computation.get_gas_remaining(),
        is_static=msg.is_static,
        phase=current_phase(),
        origin_nonce=origin_nonce,
        call_index=call_index,
    )


def as_py_evm(precompile: PrecompileFn, name: str) -> Callable[[ComputationAPI], ComputationAPI]:
    """Gas, logs and reverts go through py-evm's own paths; no exception of ours escapes."""

    def py_evm_precompile(computation: ComputationAPI) -> ComputationAPI:
        try:
            result = precompile(computation.msg.data_as_bytes, call_context(computation))
        except Exception as exc:  # noqa: BLE001 - precompiles should not raise; be sure
            reason = f"{name}: internal error: {type(exc).__name__}: {exc}"
            result = PrecompileResult(error_data(reason), 0, reverted=True, reason=reason)
        if result.out_of_gas:
            raise OutOfGas(f"{name}: out of gas")
        computation.consume_gas(result.gas_used, reason=name)
        if result.reverted:
            computation.output = result.output
            raise Revert(result.output)
        for entry in result.logs:
            computation.add_log_entry(entry.address, entry.topics, entry.data)
        computation.output = result.output
        return computation

    py_evm_precompile.__name__ = name
    return py_evm_precompile
