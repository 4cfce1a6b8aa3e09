"""The plain-data contract between a precompile and the chain that hosts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExecutionPhase(IntEnum):
    """Why the EVM is running: only a committed transaction may leave inference records.

    PIPE_SIMULATION is the alpha testnet's first pass (an `eth_call`, a gas estimate or the
    inference mempool's dry run when two-phase execution is on): inferences answer an empty
    output flagged `is_simulation_result`, and no model runs.
    """

    COMMIT = 0
    CALL = 1
    PIPE_SIMULATION = 2


@dataclass(frozen=True)
class CallContext:
    """What a precompile may know about its call; the chain fills it from the EVM frame."""

    sender: bytes
    origin: bytes
    block_number: int
    timestamp: int
    gas_available: int
    is_static: bool = False
    phase: ExecutionPhase = ExecutionPhase.COMMIT

    @property
    def commits(self) -> bool:
        """Can what this call returns end up in a mined transaction? Only then may it leave
        an inference record: a static frame cannot change state, and a call or estimate is
        thrown away."""
        return not self.is_static and self.phase is ExecutionPhase.COMMIT


@dataclass(frozen=True)
class LogEntry:
    address: bytes
    topics: tuple[int, ...]
    data: bytes


@dataclass
class PrecompileResult:
    """Outcome of one precompile call.

    `gas_used` is always set, also on revert: the caller pays for the work done. When
    `out_of_gas` is set the chain burns the frame's gas instead of reverting.
    """

    output: bytes
    gas_used: int
    reverted: bool = False
    out_of_gas: bool = False
    logs: list[LogEntry] = field(default_factory=list)
    reason: str = ""
