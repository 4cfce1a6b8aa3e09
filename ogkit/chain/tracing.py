"""geth's `callTracer` on an eth-tester chain: call traces for Ape's in-process provider.

py-evm has no tracer hooks, but every computation keeps its child computations. A trace
re-executes the transaction on a throwaway state (never persisted) with a computation
subclass that notes, for each child, the opcode that made it and where each log fell among
the calls; `callframes.py` turns the tree into geth's frames.

A mined transaction's pre-state is its block's parent state root (eth-tester keeps every
state in its in-memory database) plus the block's earlier transactions, re-executed first.
eth-tester changes no state outside transactions, so that is the state it ran on. Its
precompiles are the chain's own map bound to `replay_services`: 0xF4's and 0xF5's inference
reads the engines' result cache, which the original execution filled, and records nothing;
`ReplayBackend.model_runs` counts the results the cache no longer held.

`tracing_vm_class` and `transaction_gas_used` are host-independent: `ogkit node`'s tracer
(ogkit/node/chain/tracing.py) uses them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth.abc import BlockHeaderAPI, ComputationAPI, MessageAPI, SignedTransactionAPI
from eth.exceptions import BlockNotFound, HeaderNotFound, TransactionNotFound
from eth.vm.chain_context import ChainContext
from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError

from ogkit.chain.assembly import ChainServices, PrecompileMap, precompile_map, replay_services
from ogkit.chain.callframes import call_frames
from ogkit.chain.phase import execution_phase, simulation_phase
from ogkit.chain.replay import ReplayBackend
from precompiles.host import ExecutionPhase

CALL_TYPES = {
    0xF0: "CREATE",
    0xF1: "CALL",
    0xF2: "CALLCODE",
    0xF4: "DELEGATECALL",
    0xF5: "CREATE2",
    0xFA: "STATICCALL",
}
ZERO_ADDRESS = b"\x00" * 20


class TraceError(Exception):
    """A trace that cannot be made: unknown transaction or block, a call py-evm refuses."""


def tracing_vm_class(vm_class: type, precompiles: PrecompileMap) -> type:
    """`vm_class` whose computations remember how each child was made and where each log
    fell among the calls, and whose precompiles are `precompiles` (the replay map)."""
    state_class = vm_class._state_class
    base = state_class.computation_class

    class TracingComputation(base):  # type: ignore[misc, valid-type]
        _precompiles = precompiles
        trace_call_type: str | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.trace_log_positions: list[int] = []

        def apply_child_computation(self, child_msg: MessageAPI) -> ComputationAPI:
            # The opcode that makes a child has no immediate: it is the byte before the pc.
            pc = self.code.program_counter - 1
            opcode = self.code[pc] if 0 <= pc < len(self.code) else None
            child = self.generate_child_computation(child_msg)
            child.trace_call_type = CALL_TYPES.get(
                opcode, "CREATE" if child_msg.is_create else "CALL"
            )
            self.add_child_computation(child)
            return child

        def add_log_entry(self, account: bytes, topics: Any, data: bytes) -> None:
            self.trace_log_positions.append(len(self.children))
            super().add_log_entry(account, topics, data)

    state = state_class.configure(__name__="TracingAIState", computation_class=TracingComputation)
    return vm_class.configure(__name__="TracingAIVM", _state_class=state)


def transaction_gas_used(state: Any, tx: Any, computation: ComputationAPI) -> int:
    """What the receipt charges: the executor's own arithmetic (refund cap, calldata floor)."""
    executor = state.get_transaction_executor()
    used = tx.gas - computation.get_gas_remaining()
    refund = executor.calculate_gas_refund(computation, used)
    return used - refund + getattr(computation, "data_floor_gas", 0)


class TracingVMs:
    """The tracing variant of each VM class a chain uses (made once per class), bound to
    `precompiles`, the replay map; both hosts' tracers build their VMs here."""

    def __init__(self, precompiles: PrecompileMap) -> None:
        self.precompiles = precompiles
        self._classes: dict[type, type] = {}

    def _make(self, vm_class: type) -> type:
        return tracing_vm_class(vm_class, self.precompiles)

    def vm(self, chain: Any, header: BlockHeaderAPI, chain_id: int) -> Any:
        vm_class = chain.get_vm_class_for_block_number(header.block_number)
        traced = self._classes.get(vm_class)
        if traced is None:
            traced = self._classes[vm_class] = self._make(vm_class)
        return traced(
            header=header,
            chaindb=chain.chaindb,
            chain_context=ChainContext(chain_id),
            consensus_context=chain.consensus_context,
        )


def spoofed_call(
    vm: Any, sender: bytes, to: bytes | None, value: int, data: bytes, gas: int
) -> SpoofTransaction:
    """An `eth_call` as a transaction from `sender` (unsigned, gas price 0, its current nonce)."""
    unsigned = vm.create_unsigned_transaction(
        nonce=vm.state.get_nonce(sender),
        gas_price=0,
        gas=gas,
        to=to or b"",
        value=value,
        data=data,
    )
    return SpoofTransaction(unsigned, from_=sender)


@dataclass(frozen=True)
class CallRequest:
    """What `debug_traceCall` runs: an `eth_call` with these fields, gas None for the
    block's limit, in the context of `block` ("latest", "pending", "earliest", a number or
    a 32-byte hash; "latest" as eth-tester's `eth_call`: the last mined block)."""

    sender: bytes | None
    to: bytes | None
    data: bytes = b""
    value: int = 0
    gas: int | None = None
    block: str | int | bytes = "latest"


class TesterTracer:
    """`debug_traceTransaction` and `debug_traceCall` on an eth-tester AI backend
    (`ogkit.chain.backend.AIBackendMixin`: its `chain`, `services`, `chain_lock`, `pipe`)."""

    def __init__(self, backend: Any, services: ChainServices) -> None:
        self.backend = backend
        self.replay = ReplayBackend(services.inference, services.llm)
        self._vms = TracingVMs(precompile_map(replay_services(services, self.replay)))

    def trace_transaction(self, tx_hash: bytes, options: Any) -> dict[str, Any]:
        """The frames of a mined (or pending) transaction, re-executed on its pre-state."""
        with self.backend.chain_lock, execution_phase(ExecutionPhase.COMMIT):
            chain = self.backend.chain
            header, transactions, index, sealed = _find(chain, tx_hash)
            parent = chain.get_block_header_by_hash(header.parent_hash)
            ran_under = header.copy(state_root=parent.state_root)
            if sealed:  # eth-tester draws the mixHash when it seals a block; its transactions
                # ran with the pending header's: the one a new header from the parent gets
                ran_under = ran_under.copy(
                    mix_hash=chain.create_header_from_parent(parent).mix_hash
                )
            state = self._vm(chain, ran_under, options).state
            for earlier in transactions[:index]:
                replay_transaction(state, earlier, f"0x{earlier.hash.hex()}")
                state.lock_changes()
            tx = transactions[index]
            return self._traced(state, tx, tx.sender, f"0x{tx_hash.hex()}", options)

    def trace_call(self, call: CallRequest, options: Any) -> dict[str, Any]:
        """The frames of an `eth_call` with the same fields (reverts included)."""
        with self.backend.chain_lock, execution_phase(simulation_phase(self.backend.pipe)):
            chain = self.backend.chain
            header = _call_header(chain, call.block)
            vm = self._vm(chain, header, options)
            gas = min(call.gas or header.gas_limit, header.gas_limit)
            sender = call.sender or ZERO_ADDRESS
            spoofed = spoofed_call(vm, sender, call.to, call.value, call.data, gas)
            return self._traced(vm.state, spoofed, sender, "the call", options)

    def _traced(self, state: Any, tx: Any, sender: bytes, what: str, options: Any) -> Any:
        """Run `tx` on `state` and make its trace (callTracer frames; a subclass adds
        other tracers by overriding this and `_vm`)."""
        computation = replay_transaction(state, tx, what)
        gas_used = transaction_gas_used(state, tx, computation)
        return call_frames(computation, sender=sender, tx=tx, gas_used=gas_used, options=options)

    def _vm(self, chain: Any, header: BlockHeaderAPI, options: Any = None) -> Any:
        return self._vms.vm(chain, header, chain.chain_id)


def _find(chain: Any, tx_hash: bytes) -> tuple[BlockHeaderAPI, tuple, int, bool]:
    """(its block's header, the block's transactions, its index, whether the block is
    sealed): canonical or pending."""
    head = chain.get_canonical_head()
    try:
        number, index = chain.chaindb.get_transaction_index(tx_hash)
    except TransactionNotFound:
        number = None
    if number is not None and number <= head.block_number:  # else: a reverted block's
        block = chain.get_canonical_block_by_number(number)
        if index < len(block.transactions) and block.transactions[index].hash == tx_hash:
            return block.header, block.transactions, index, True
    pending = chain.get_block()
    for index, tx in enumerate(pending.transactions):
        if tx.hash == tx_hash:
            return chain.header, pending.transactions, index, False
    raise TraceError(f"transaction 0x{tx_hash.hex()} not found")


def _call_header(chain: Any, block: str | int | bytes) -> BlockHeaderAPI:
    """The header an `eth_call` at `block` runs under, as eth-tester chooses it."""
    try:
        if isinstance(block, bytes):
            return _call_context(chain.get_block_header_by_hash(block))
        if block == "pending":
            return _call_context(chain.header)
        pending_number = chain.header.block_number
        if block in ("latest", "safe", "finalized"):
            block = max(0, pending_number - 1)
        elif block == "earliest":
            block = 0
        if isinstance(block, int) and 0 <= block < pending_number:
            return _call_context(chain.get_canonical_block_header_by_number(block))
    except (BlockNotFound, HeaderNotFound):
        pass
    raise TraceError(f"block {block!r} not found")


def _call_context(header: BlockHeaderAPI) -> BlockHeaderAPI:
    """A call pays no gas price (geth's NoBaseFee, as `ogkit node`): base fee 0, and the
    block's gas used does not count against it."""
    fields: dict[str, int] = {"gas_used": 0}
    if hasattr(header, "base_fee_per_gas"):
        fields["base_fee_per_gas"] = 0
    return header.copy(**fields)


def replay_transaction(state: Any, tx: SignedTransactionAPI, what: str) -> ComputationAPI:
    """Run `tx` on `state` again; a transaction the state no longer accepts (`what` names it)
    is a `TraceError`, not py-evm's ValidationError."""
    try:
        return state.apply_transaction(tx)
    except ValidationError as exc:
        raise TraceError(f"cannot execute {what}: {exc}") from None


__all__ = [
    "CallRequest",
    "TesterTracer",
    "TraceError",
    "replay_transaction",
    "tracing_vm_class",
    "transaction_gas_used",
]
