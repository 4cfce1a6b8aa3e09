"""The pcs each call frame executed, from geth's struct logs plus its call tracer (a node).

geth's struct logger (`debug_traceTransaction` with no tracer) lists every step with `pc`
and `depth` but not which code ran; with `disableStack` (the cheap form) not even the
operands of the CALL that entered a frame. The call tracer has the frames, in the order
they started. So each time the depth goes up by one, the new frame is the next unused
child of the current frame's call-tracer node: the first, from there on, whose `gas` is the
gas the new frame's first step has (geth gives a callee exactly that), so children that ran
no code (precompiles, plain transfers, calls that failed at once) are passed over; if no
gas matches (another node's arithmetic), the next child in order. A child's code address
is its `to` (for DELEGATECALL and CALLCODE too: callTracer's `to` is the code's address);
a CREATE frame runs init code, so it is marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATE_TYPES = ("CREATE", "CREATE2")


@dataclass
class LoggedFrame:
    """A frame seen in struct logs: `address` (0x-hex) whose code ran, its `pcs`."""

    address: str
    depth: int
    is_create: bool
    pcs: set[int] = field(default_factory=set)


def _int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.startswith("0x") else int(value)
        except ValueError:
            return None
    return None


class _Open:
    __slots__ = ("frame", "node", "next_child")

    def __init__(self, frame: LoggedFrame, node: dict[str, Any]) -> None:
        self.frame, self.node, self.next_child = frame, node, 0

    def enter(self, gas: int | None, depth: int) -> _Open:
        """The child frame the run just entered (see the module docstring)."""
        children = self.node.get("calls") or []
        chosen = None
        for i in range(self.next_child, len(children)):
            if gas is not None and _int(children[i].get("gas")) == gas:
                chosen = i
                break
        if chosen is None:
            chosen = self.next_child
        self.next_child = chosen + 1
        node = children[chosen] if chosen < len(children) else {}
        return _open(node, depth)


def _open(node: dict[str, Any], depth: int) -> _Open:
    kind = str(node.get("type", "CALL")).upper()
    address = str(node.get("to") or "").lower()
    return _Open(LoggedFrame(address, depth, kind in CREATE_TYPES), node)


def frames_from_struct_logs(
    struct_logs: list[dict[str, Any]], call_tree: dict[str, Any]
) -> list[LoggedFrame]:
    """The frames of one run, parent before children, from its struct logs and call tree."""
    if not struct_logs:
        return []
    base = int(struct_logs[0].get("depth", 1))
    root = _open(call_tree, 1)
    frames = [root.frame]
    stack = [root]
    for step in struct_logs:
        depth = int(step.get("depth", base)) - base + 1
        if depth > len(stack):
            child = stack[-1].enter(_int(step.get("gas")), depth)
            frames.append(child.frame)
            stack.append(child)
        while depth < len(stack):
            stack.pop()
        pc = _int(step.get("pc"))
        if pc is not None:
            stack[-1].frame.pcs.add(pc)
    return frames
