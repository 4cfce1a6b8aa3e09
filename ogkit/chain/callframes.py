"""geth's callTracer frames from a py-evm computation tree (see tracing.py here and in
ogkit/node/chain/).

A frame: type (CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE, CREATE2), from, to, value
(not for STATICCALL), gas, gasUsed, input, output, error, revertReason, calls[], and with
`tracerConfig.withLog` logs[] (address, topics, data, position: how many calls the frame had
made when it logged). As geth's `processOutput`: a failed frame's output is kept only for a
revert, a failed CREATE has no `to`, and a failed frame (or one under it) shows no logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth.abc import ComputationAPI
from eth.exceptions import (
    ContractCreationCollision,
    FullStack,
    InsufficientFunds,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfBoundsRead,
    OutOfGas,
    ReservedBytesInCode,
    Revert,
    StackDepthLimit,
    WriteProtection,
)

from ogkit.chain.hexjson import addr, b, q, word
from ogkit.chain.reverts import revert_reason

ZERO_ADDRESS = b"\x00" * 20
CREATE_TYPES = ("CREATE", "CREATE2")
ZERO_ADDRESS = b"\x00" * 20

_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (Revert, "execution reverted"),
    (OutOfGas, "out of gas"),
    (InvalidJumpDestination, "invalid jump destination"),
    (InsufficientStack, "stack underflow"),
    (FullStack, "stack limit reached 1024"),
    (StackDepthLimit, "max call depth exceeded"),
    (WriteProtection, "write protection"),
    (OutOfBoundsRead, "return data out of bounds"),
    (InsufficientFunds, "insufficient balance for transfer"),
    (ContractCreationCollision, "contract address collision"),
    (ReservedBytesInCode, "invalid code: must not begin with 0xef"),
)
"""py-evm's errors in geth's words (core/vm/errors.go)."""


@dataclass(frozen=True)
class TraceOptions:
    """`callTracer`'s options (`tracerConfig`)."""

    only_top_call: bool = False
    with_log: bool = False


def error_text(error: Exception) -> str:
    for kind, text in _ERRORS:
        if isinstance(error, kind):
            return text
    if isinstance(error, InvalidInstruction):
        if str(error).startswith("Jump"):
            return "invalid jump destination"
        opcode = re.search(r"0x[0-9a-f]+", str(error))
        return f"invalid opcode: {opcode.group()}" if opcode else "invalid opcode"
    return str(error) or type(error).__name__


def call_frames(
    computation: ComputationAPI,
    *,
    sender: bytes,
    tx: Any,
    gas_used: int,
    options: TraceOptions,
) -> dict[str, Any]:
    """The top frame for a transaction (or call) whose root computation is `computation`."""
    msg = computation.msg
    kind = "CREATE" if msg.is_create else "CALL"
    frame = _frame(
        computation,
        kind,
        sender=sender,
        to=msg.storage_address if msg.is_create else msg.to,
        gas=tx.gas,
        gas_used=gas_used,
        value=tx.value,
        data=tx.data,
    )
    _finish(frame, computation, kind, options, failed=computation.is_error)
    return frame


def _frame(
    computation: ComputationAPI,
    kind: str,
    *,
    sender: bytes,
    to: bytes | None,
    gas: int,
    gas_used: int,
    value: int | None,
    data: bytes,
) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": kind,
        "from": addr(sender) or "0x" + ZERO_ADDRESS.hex(),
        "gas": q(gas),
        "gasUsed": q(gas_used),
    }
    if to is not None:
        frame["to"] = addr(to) or "0x" + ZERO_ADDRESS.hex()
    frame["input"] = b(data)
    if value is not None:
        frame["value"] = q(value)
    return frame


def _finish(
    frame: dict[str, Any],
    computation: ComputationAPI,
    kind: str,
    options: TraceOptions,
    failed: bool,
) -> None:
    """Output, error and revert reason as geth's `processOutput`; then logs and calls."""
    if computation.is_error:
        error = computation.error
        frame["error"] = error_text(error)
        if kind in CREATE_TYPES:
            frame.pop("to", None)
        if isinstance(error, Revert):
            output = computation.output
            if output:
                frame["output"] = b(output)
                reason = revert_reason(output)
                if reason is not None:
                    frame["revertReason"] = reason
    elif computation.output:
        frame["output"] = b(computation.output)
    if options.with_log and not failed:
        logs = [
            {
                "address": addr(address),
                "topics": [word(topic) for topic in topics],
                "data": b(data),
                "position": q(position),
            }
            for (_, address, topics, data), position in zip(
                computation._log_entries,
                getattr(computation, "trace_log_positions", ()),
                strict=False,
            )
        ]
        if logs:
            frame["logs"] = logs
    if options.only_top_call:
        return
    calls = [
        _child(computation.msg.storage_address, child, options, failed)
        for child in computation.children
    ]
    if calls:
        frame["calls"] = calls


def _child(
    parent: bytes, child: ComputationAPI, options: TraceOptions, failed: bool
) -> dict[str, Any]:
    msg = child.msg
    kind = getattr(child, "trace_call_type", None) or ("CREATE" if msg.is_create else "CALL")
    if kind in CREATE_TYPES:
        to, data = msg.storage_address, bytes(msg.code)
    elif kind in ("DELEGATECALL", "CALLCODE"):
        to, data = msg.code_address, msg.data_as_bytes
    else:
        to, data = msg.to, msg.data_as_bytes
    frame = _frame(
        child,
        kind,
        sender=parent,
        to=to,
        gas=msg.gas,
        gas_used=child.get_gas_used(),
        value=None if kind == "STATICCALL" else msg.value,
        data=data,
    )
    _finish(frame, child, kind, options, failed or child.is_error)
    return frame
