"""geth's struct logger (the default tracer of `debug_trace*`): one entry per executed opcode.

API (both hosts, and the coverage tool, use it the same way):

    vms = StructLogVMs(replay_precompile_map)        # once; like tracing.TracingVMs
    logger = StructLogger(StructLogConfig.from_json(options))   # one per trace
    with logger.collecting():                        # the thread's computations log steps
        computation = vms.vm(chain, header, chain_id).state.apply_transaction(tx)
    result = logger.result(computation, gas_used)    # geth's {gas, failed, returnValue, structLogs}

A step is geth's `StructLogRes`: `pc`, `op` (geth's name), `gas` (before the opcode),
`gasCost`, `depth` (1 for the transaction's own frame), `error` (only the errors geth finds
before the opcode runs: out of gas and the stack's), `stack` (bottom first, `0x` + minimal
hex), `memory` (`enableMemory`: 32-byte chunks, hex without `0x`), `storage` (at SLOAD and
SSTORE only: every slot of the contract touched so far in the trace, as geth keeps it),
`returnData` (`enableReturnData`), `refund` (the transaction's refund counter, if not 0).
`gasCost` is geth's: for CALL-type opcodes it includes the gas passed to the callee, for
CREATE it does not. `limit` stops recording after that many steps (execution goes on).

How: py-evm's opcode loop iterates `computation.code`; within `collecting()` every frame of
a `StructLogVMs` VM iterates a `StepCodeStream`, which records a step before yielding each
opcode (and keeps the execution deadline of budget.py). A step's cost is known when the
next step of its frame starts, when it starts a child frame, or when its frame ends.

The options and caps are `StructLogConfig` (struct_log_config.py); geth's opcode names and
stack errors come from struct_log_ops.py. A step names no contract: a consumer (Ape, a
coverage tool) follows the call opcodes' stack arguments and `depth`, as with geth. Steps of a
frame whose memory did not change share one `memory` list.

Bounds: the run keeps the caller's deadline (budget.py); the collected output is capped at
`max_steps` steps and about `max_bytes` bytes of JSON. Past either, `TraceTooLarge` unwinds
out of py-evm (it is not a VMError) before the output is built, so no request can make the
host build gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eth.abc import ComputationAPI, MessageAPI
from eth.exceptions import FullStack, InsufficientStack, OutOfGas, Revert
from eth.vm.code_stream import CodeStream
from eth.vm.opcode_values import CREATE, CREATE2, SLOAD, SSTORE, STOP

from ogkit.chain.assembly import PrecompileMap
from ogkit.chain.budget import CHECK_EVERY, Budget, active_budget
from ogkit.chain.struct_log_config import DEFAULT_MAX_BYTES, DEFAULT_MAX_STEPS, StructLogConfig
from ogkit.chain.struct_log_ops import op_name, stack_error
from ogkit.chain.thread_slot import ThreadSlot
from ogkit.chain.tracing import TracingVMs, tracing_vm_class

_STEP_BYTES = 90
"""The JSON of a step without stack, memory, storage or return data, roughly."""


class TraceTooLarge(Exception):  # noqa: N818 - what the client is told
    """The trace would exceed the output caps."""


_active: ThreadSlot[StructLogger] = ThreadSlot()


class StructLogger:
    """Collects the steps of the runs made within `collecting()` in this thread."""

    def __init__(self, config: StructLogConfig | None = None) -> None:
        self.config = config or StructLogConfig()
        self.steps: list[dict[str, Any]] = []
        self.size = 0
        self.storage: dict[bytes, dict[str, str]] = {}
        self.next_refund_base = 0

    @contextmanager
    def collecting(self) -> Iterator[StructLogger]:
        with _active.holding(self):
            yield self

    def result(self, computation: ComputationAPI, gas_used: int) -> dict[str, Any]:
        """geth's `ExecutionResult`: `gas` as the receipt's gas used, the output when the
        run succeeded or reverted, else "0x" (hex with `0x`, as anvil and current geth)."""
        failed = computation.is_error
        keep = not failed or isinstance(computation.error, Revert)
        return {
            "gas": gas_used,
            "failed": failed,
            "returnValue": "0x" + computation.output.hex() if keep else "0x",
            "structLogs": self.steps,
        }

    # -- called from the tracing computation and its code stream -- #

    def step(self, computation: Any, pc: int, opcode: int) -> None:
        """Record the step about to run (closing the frame's previous one)."""
        self.close(computation)
        config = self.config
        if config.limit and len(self.steps) >= config.limit or config.limit < 0:
            return
        if len(self.steps) >= config.max_steps:
            raise TraceTooLarge(
                f"trace has more than {config.max_steps} steps; "
                'pass "limit", or use {"tracer": "callTracer"}'
            )
        gas = computation._gas_meter.gas_remaining
        entry: dict[str, Any] = {
            "pc": pc,
            "op": op_name(opcode),
            "gas": gas,
            "gasCost": 0,
            "depth": computation.msg.depth + 1,
        }
        size = _STEP_BYTES
        values = computation._stack.values
        if not config.disable_stack:
            words = entry["stack"] = _stack_words(computation, values)  # at most 1024 words
            size += sum(map(len, words)) + 3 * len(words)
            self._check_size(size)
        if config.enable_return_data and computation.return_data:
            size += 2 * len(computation.return_data)
            self._check_size(size)
            entry["returnData"] = "0x" + computation.return_data.hex()
        if config.enable_memory:
            memory = computation._memory._bytes
            size += len(memory) * 2 + len(memory) // 8
            self._check_size(size)
            if memory:
                entry["memory"] = _memory_words(computation, memory)
        if not config.disable_storage and opcode in (SLOAD, SSTORE):
            size += self._storage(computation, opcode, values, entry)
            self._check_size(size)
        refund = computation.trace_refund_total()
        if refund:
            entry["refund"] = refund
        self.size += size
        self.steps.append(entry)
        computation.trace_open_step = (entry, gas, opcode)

    def close(self, computation: Any, exc: BaseException | None = None, child_gas: int = 0) -> None:
        """Set the open step's gasCost (and error), if the frame has one."""
        open_step = computation.trace_open_step
        if open_step is None:
            return
        computation.trace_open_step = None
        entry, gas, opcode = open_step
        cost = gas - computation._gas_meter.gas_remaining
        if opcode in (CREATE, CREATE2):
            cost -= child_gas  # geth's CREATE cost leaves out the gas the init code gets
        if isinstance(exc, OutOfGas):
            cost, entry["error"] = _out_of_gas(exc, cost, computation._gas_meter)
        elif isinstance(exc, (InsufficientStack, FullStack)):
            size = len(entry.get("stack", ())) or len(computation._stack.values)
            entry["error"] = stack_error(opcode, size, isinstance(exc, FullStack))
        entry["gasCost"] = cost

    def _storage(self, computation: Any, opcode: int, values: list, entry: dict) -> int:
        """geth's storage capture: the slot SLOAD reads or SSTORE writes joins the
        contract's touched slots; the step shows them all."""
        if len(values) < (1 if opcode == SLOAD else 2):
            return 0
        address = computation.msg.storage_address
        slots = self.storage.setdefault(address, {})
        slot = _as_int(values[-1])
        if opcode == SLOAD:
            value = computation.state.get_storage(address, slot)
        else:
            value = _as_int(values[-2])
        slots[f"{slot:064x}"] = f"{value:064x}"
        entry["storage"] = dict(slots)
        return 134 * len(slots)

    def _check_size(self, step_size: int) -> None:
        if self.size + step_size > self.config.max_bytes:
            raise TraceTooLarge(
                f"trace output exceeds {self.config.max_bytes} bytes; pass "
                '"limit", "disableStack", leave "enableMemory" off, or use {"tracer": "callTracer"}'
            )


def _out_of_gas(exc: OutOfGas, cost: int, meter: Any) -> tuple[int, str]:
    """geth's gasCost and error for a step out of gas: the cost includes what the step
    could not pay, unless that is past what geth's uint64 gas arithmetic allows."""
    failed = meter.trace_failed_amount
    if failed > _MAX_MEMORY_COST:
        return cost, "out of gas: gas uint64 overflow"
    if str(exc.args[0] if exc.args else "").startswith("Net-metered SSTORE"):
        return cost, "out of gas: not enough gas for reentrancy sentry"
    return cost + failed, "out of gas"


_MAX_WORDS = 0x1FFFFFFFE0 // 32
_MAX_MEMORY_COST = 3 * _MAX_WORDS + _MAX_WORDS**2 // 512
"""geth's largest memory (0x1FFFFFFFE0 bytes) costs this; a dearer step overflows its uint64s."""


def _memory_words(computation: Any, memory: bytearray) -> list[str]:
    """The memory in geth's 32-byte hex words; the frame's previous step's list when the
    memory has not changed since (most steps change none), so a trace holds each once."""
    cached = computation.trace_memory
    if cached is not None and cached[0] == memory:
        return cached[1]
    hexed = memory.hex()
    words = [hexed[i : i + 64] for i in range(0, len(hexed), 64)]
    computation.trace_memory = (bytes(memory), words)
    return words


def _as_int(value: int | bytes) -> int:
    return value if isinstance(value, int) else int.from_bytes(value, "big")


def _stack_words(computation: Any, values: list) -> list[str]:
    """The stack as geth prints it, bottom first. An opcode changes only the top few items,
    so the words below them are the frame's previous step's (compared in C, not formatted
    again): a step costs about the same whatever the stack's depth."""
    cached = computation.trace_stack
    if len(values) > 2 * _STACK_TOP and cached is not None:
        raw, words = cached
        keep = min(len(values), len(raw)) - _STACK_TOP
        if values[:keep] == raw[:keep]:
            words = words[:keep]
            words += [_hex(value) for value in values[keep:]]
            computation.trace_stack = (values[:], words)
            return words
    words = [_hex(value) for value in values]
    computation.trace_stack = (values[:], words)
    return words


def _hex(value: int | bytes) -> str:
    return hex(value) if value.__class__ is int else hex(int.from_bytes(value, "big"))


_STACK_TOP = 4
"""How many items at the top of the stack a step formats anew (most opcodes touch fewer)."""


class StepCodeStream(CodeStream):
    """py-evm's code stream whose iteration (the opcode loop) records each step first and
    checks the deadline as `budget.DeadlineCodeStream` does. Past the code's end it logs
    the STOP geth's interpreter runs there; empty code runs nothing in geth, so no step."""

    __slots__ = ("budget", "computation", "logger")

    def __init__(
        self, code: bytes, computation: Any, logger: StructLogger, budget: Budget | None
    ) -> None:
        super().__init__(code)
        self.computation = computation
        self.logger = logger
        self.budget = budget

    def __iter__(self) -> Iterator[int]:
        code = self._raw_code_bytes
        computation, step, budget = self.computation, self.logger.step, self.budget
        countdown = CHECK_EVERY
        while True:
            pc = self.program_counter
            try:
                opcode = code[pc]
            except IndexError:
                break
            if budget is not None:
                countdown -= 1
                if not countdown:
                    countdown = CHECK_EVERY
                    budget.check()
            step(computation, pc, opcode)
            self.program_counter = pc + 1
            yield opcode
        if code:
            step(computation, self.program_counter, STOP)
        yield STOP


def struct_log_vm_class(vm_class: type, precompiles: PrecompileMap) -> type:
    """`tracing.tracing_vm_class` whose frames log steps within `StructLogger.collecting()`."""
    traced = tracing_vm_class(vm_class, precompiles)
    state_class = traced._state_class
    base = state_class.computation_class

    class StructLogComputation(base):  # type: ignore[misc, valid-type]
        trace_open_step: tuple | None = None
        trace_memory: tuple[bytes, list[str]] | None = None
        trace_stack: tuple[list, list[str]] | None = None
        trace_logger: StructLogger | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            logger = _active.value
            self.trace_children_refund = 0
            self.trace_refund_base = 0
            if logger is not None:
                self.trace_logger = logger
                self.trace_refund_base = logger.next_refund_base
                self.code = StepCodeStream(self.msg.code, self, logger, active_budget())

        def _configure_gas_meter(self) -> Any:
            return _FailureNotingGasMeter.wrap(super()._configure_gas_meter())

        def trace_refund_total(self) -> int:
            """The transaction's refund counter now (geth's `StateDB.GetRefund()`)."""
            own = self._gas_meter.gas_refunded
            return self.trace_refund_base + own + self.trace_children_refund

        def apply_child_computation(self, child_msg: MessageAPI) -> ComputationAPI:
            logger = self.trace_logger
            if logger is not None:
                logger.close(self, child_gas=child_msg.gas)
                logger.next_refund_base = self.trace_refund_total()
            return super().apply_child_computation(child_msg)

        def add_child_computation(self, child: ComputationAPI) -> None:
            if self.trace_logger is not None and not child.is_error:
                self.trace_children_refund += child.get_gas_refund()
            super().add_child_computation(child)

        def __exit__(self, exc_type: Any, exc_value: Any, tb: Any) -> Any:
            if self.trace_logger is not None:
                self.trace_logger.close(self, exc_value)
            return super().__exit__(exc_type, exc_value, tb)

    state = state_class.configure(
        __name__="StructLogAIState", computation_class=StructLogComputation
    )
    return traced.configure(__name__="StructLogAIVM", _state_class=state)


class _FailureNotingGasMeter:
    """Makes a gas meter note the amount a failed `consume_gas` asked for (geth counts it
    in the failing step's gasCost)."""

    _classes: dict[type, type] = {}

    @classmethod
    def wrap(cls, meter: Any) -> Any:
        kind = type(meter)
        noting = cls._classes.get(kind)
        if noting is None:

            def consume_gas(self: Any, amount: int, reason: str) -> None:
                try:
                    kind.consume_gas(self, amount, reason)
                except OutOfGas:
                    self.trace_failed_amount = amount
                    raise

            noting = cls._classes[kind] = type(
                f"Noting{kind.__name__}",
                (kind,),
                {"consume_gas": consume_gas, "trace_failed_amount": 0},
            )
        meter.__class__ = noting
        return meter


class StructLogVMs(TracingVMs):
    """`tracing.TracingVMs` making struct-logging VMs."""

    def _make(self, vm_class: type) -> type:
        return struct_log_vm_class(vm_class, self.precompiles)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_STEPS",
    "StructLogConfig",
    "StructLogVMs",
    "StructLogger",
    "TraceTooLarge",
    "struct_log_vm_class",
]
