"""The plain-data contract between a precompile and the chain that hosts it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallContext:
    """What a precompile may know about its call; the chain fills it from the EVM frame."""

    sender: bytes
    origin: bytes
    block_number: int
    timestamp: int
    gas_available: int
    is_static: bool = False


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
