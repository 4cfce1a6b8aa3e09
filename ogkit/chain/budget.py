"""Execution deadlines: stop an EVM run that takes too long, from inside py-evm's loop.

A node answers `eth_call`, `eth_estimateGas` and traces while holding the chain lock
(locking.py), so a call that loops would hold up every other request. geth bounds such runs
with `--rpc.evmtimeout`; this is the same, for any host. Within `deadline(seconds)`, every
computation the thread starts (fork.py's `AIComputation`) reads the clock when it starts and
every `CHECK_EVERY` opcodes after, and raises `ExecutionTimeout` once the time is up.

`ExecutionTimeout` is not a py-evm `VMError`, so py-evm does not turn it into a failed call:
it unwinds out of `apply_transaction` with the state half-way, and the caller throws that
state away (calls and traces run on a VM of their own, never persisted). Outside
`deadline()`, computations iterate py-evm's own code stream: all a normal transaction pays
is one thread-local read per call frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic

from eth.vm.code_stream import CodeStream
from eth.vm.opcode_values import STOP

from ogkit.chain.thread_slot import ThreadSlot

DEFAULT_GAS_CAP = 50_000_000
"""geth's `--rpc.gascap` default: the most gas an RPC call or estimate gets."""
DEFAULT_EVM_TIMEOUT = 5.0
"""geth's `--rpc.evmtimeout` default, in seconds."""
CHECK_EVERY = 1024
"""Opcodes between two reads of the clock: about a millisecond of py-evm's time, so an
expired deadline is noticed within that, and the clock costs well under 1% of a run."""


_active: ThreadSlot[Budget] = ThreadSlot()


def go_duration(seconds: float) -> str:
    """A duration as Go prints it (geth's messages do): 5s, 500ms, 1.5s, 1m30s."""
    if seconds < 1:
        return f"{round(seconds * 1000, 3):g}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{round(rest, 9):g}s"
    return f"{int(minutes)}m{text}" if minutes else text


class ExecutionTimeout(Exception):  # noqa: N818 - geth's word for it
    """The run passed its deadline; the message is geth's for `--rpc.evmtimeout`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"execution aborted (timeout = {go_duration(seconds)})")
        self.seconds = seconds


class Budget:
    """One deadline: `at` on the monotonic clock, `seconds` long."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = monotonic() + seconds

    def check(self) -> None:
        if monotonic() > self.at:
            raise ExecutionTimeout(self.seconds)


@contextmanager
def deadline(seconds: float | None) -> Iterator[Budget | None]:
    """Runs in this thread stop `seconds` from now (None or 0: no deadline). Nested, the
    earlier deadline wins."""
    previous = _active.value
    if not seconds:
        yield previous
        return
    budget = Budget(seconds)
    if previous is not None and previous.at < budget.at:
        budget = previous
    with _active.holding(budget):
        yield budget


def active_budget() -> Budget | None:
    """The deadline runs in this thread have, if any (read once per call frame)."""
    return _active.value


class DeadlineCodeStream(CodeStream):
    """py-evm's code stream, whose iteration (py-evm's opcode loop) checks `budget`."""

    __slots__ = ("budget",)

    def __init__(self, code_bytes: bytes, budget: Budget) -> None:
        super().__init__(code_bytes)
        self.budget = budget

    def __iter__(self) -> Iterator[int]:
        # `CodeStream.__iter__` (py-evm 0.12), plus the countdown to the next clock read
        code = self._raw_code_bytes
        countdown = CHECK_EVERY
        while True:
            try:
                opcode = code[self.program_counter]
            except IndexError:
                break
            countdown -= 1
            if not countdown:
                countdown = CHECK_EVERY
                self.budget.check()
            self.program_counter += 1
            yield opcode
        yield STOP
