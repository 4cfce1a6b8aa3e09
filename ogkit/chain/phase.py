"""Which execution phase the EVM is in, told to the precompiles without changing py-evm.

eth-tester and the node run `eth_call` and gas estimation through the same `apply_transaction`
as a mined transaction; the only place that knows the difference is the caller. It sets the
phase here, and the precompile adapter copies it into each `CallContext`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from precompiles.host import ExecutionPhase

_phase: ContextVar[ExecutionPhase] = ContextVar(
    "ogkit_execution_phase", default=ExecutionPhase.COMMIT
)


def current_phase() -> ExecutionPhase:
    return _phase.get()


@contextmanager
def execution_phase(phase: ExecutionPhase) -> Iterator[None]:
    token = _phase.set(phase)
    try:
        yield
    finally:
        _phase.reset(token)


def simulation_phase(pipe: bool) -> ExecutionPhase:
    """The phase of an `eth_call` or a gas estimate: a PIPE dry run when two-phase execution
    is on, else a real call that must not leave inference records."""
    return ExecutionPhase.PIPE_SIMULATION if pipe else ExecutionPhase.CALL
