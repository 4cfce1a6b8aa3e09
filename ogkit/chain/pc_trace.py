"""The pcs each call frame executed, for Solidity coverage: the cheapest trace there is.

Coverage needs, per frame, only which code ran and which of its pcs executed: no stack,
memory, gas or storage. On an eth-tester chain this re-executes a transaction (or call) as
`TesterTracer` does (same pre-state, same replay precompiles: no model runs again) with a
computation whose code stream adds each pc to its frame's set. Nothing here runs unless
asked: normal transactions never see these classes.

Within `collecting()` the frames of a run come out in the order they started (a parent
before its children), each with its code, code address, depth (1: the transaction's own)
and whether it ran init code (a CREATE: not a deployed contract's runtime code).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth.abc import BlockHeaderAPI
from eth.vm.chain_context import ChainContext
from eth.vm.code_stream import CodeStream
from eth.vm.opcode_values import STOP

from ogkit.chain.callframes import TraceOptions
from ogkit.chain.thread_slot import ThreadSlot
from ogkit.chain.tracing import CallRequest, TesterTracer, TracingVMs, tracing_vm_class

TOP_ONLY = TraceOptions(only_top_call=True)


@dataclass
class Frame:
    """One call frame: `code` ran at `address` (the code's own address; for DELEGATECALL
    the callee's), `pcs` the pcs it executed."""

    address: bytes
    code: bytes
    depth: int
    is_create: bool = False
    pcs: set[int] = field(default_factory=set)


_active: ThreadSlot[PcCollector] = ThreadSlot()


class PcCodeStream(CodeStream):
    """py-evm's code stream (0.12's `__iter__`) noting every pc it hands the opcode loop."""

    __slots__ = ("seen",)

    def __init__(self, code_bytes: bytes, seen: set[int]) -> None:
        super().__init__(code_bytes)
        self.seen = seen

    def __iter__(self) -> Iterator[int]:
        code = self._raw_code_bytes
        add = self.seen.add
        while True:
            pc = self.program_counter
            try:
                opcode = code[pc]
            except IndexError:
                break
            add(pc)
            self.program_counter = pc + 1
            yield opcode
        yield STOP


class PcCollector:
    """The frames of the runs made within `collecting()` in this thread."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []

    @contextmanager
    def collecting(self) -> Iterator[PcCollector]:
        with _active.holding(self):
            yield self

    def stream(self, message: Any) -> PcCodeStream:
        code = bytes(message.code)
        frame = Frame(message.code_address, code, message.depth + 1, bool(message.is_create))
        self.frames.append(frame)
        return PcCodeStream(code, frame.pcs)


def pc_vm_class(vm_class: type, precompiles: Any) -> type:
    """The tracing VM (tracing.py) whose frames report their pcs within `collecting()`."""
    traced = tracing_vm_class(vm_class, precompiles)
    state_class = traced._state_class
    base = state_class.computation_class

    class PcComputation(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            collector = _active.value
            if collector is not None and not self.msg.is_create:
                self.code = collector.stream(self.msg)

    state = state_class.configure(__name__="PcTracingState", computation_class=PcComputation)
    return traced.configure(__name__="PcTracingVM", _state_class=state)


class PcTracingVMs(TracingVMs):
    """`TracingVMs` whose VMs are `pc_vm_class`'s."""

    def vm(self, chain: Any, header: BlockHeaderAPI, chain_id: int) -> Any:
        vm_class = chain.get_vm_class_for_block_number(header.block_number)
        traced = self._classes.get(vm_class)
        if traced is None:
            traced = self._classes[vm_class] = pc_vm_class(vm_class, self.precompiles)
        return traced(
            header=header,
            chaindb=chain.chaindb,
            chain_context=ChainContext(chain_id),
            consensus_context=chain.consensus_context,
        )


class PcTracer(TesterTracer):
    """`TesterTracer` (same pre-states, same replay precompiles) answering pcs per frame."""

    def __init__(self, backend: Any, services: Any) -> None:
        super().__init__(backend, services)
        self._vms = PcTracingVMs(self._vms.precompiles)

    def transaction_frames(self, tx_hash: bytes) -> list[Frame]:
        collector = PcCollector()
        with collector.collecting():
            self.trace_transaction(tx_hash, TOP_ONLY)
        return collector.frames

    def call_frames(self, call: CallRequest) -> list[Frame]:
        collector = PcCollector()
        with collector.collecting():
            self.trace_call(call, TOP_ONLY)
        return collector.frames
