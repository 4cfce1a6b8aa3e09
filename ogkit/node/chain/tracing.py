"""geth's `callTracer` and struct logger for `debug_traceTransaction`, `debug_traceCall` and
`debug_traceBlockByNumber` / `debug_traceBlockByHash`.

py-evm has no tracer hooks, but every computation keeps its child computations. A trace
re-executes the transaction on a throwaway state (its recorded pre-state, never persisted)
with a computation subclass that notes, for each child, the opcode that made it (CALL,
STATICCALL, DELEGATECALL, CALLCODE, CREATE, CREATE2) and where each log fell among the
calls; callframes.py turns the tree into geth's frames.

The precompiles inside a re-execution are the chain's own map (ogkit/chain/assembly.py) bound
to the replay services: 0xF4's (and 0xF5's) inference goes through `ReplayBackend`
(ogkit/chain/replay.py): results come from the engines' result cache, which the original
execution filled, and nothing is recorded. Only a result the cache no longer holds (evicted,
or the node restarted) makes the model run again; `ReplayBackend.model_runs` counts those,
`cache_hits` the others.

The struct logger (geth's default tracer, ogkit/chain/struct_logger.py) runs the same
re-execution on VMs whose frames log every step; its output is capped (`TraceTooLarge`
becomes a JSON-RPC error) besides the call budget's deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from eth.abc import BlockHeaderAPI, ComputationAPI
from eth_utils import ValidationError

from ogkit.chain.assembly import (
    ChainServices,
    precompile_map,
    replay_services,
)
from ogkit.chain.callframes import TraceOptions, call_frames
from ogkit.chain.replay import ReplayBackend
from ogkit.chain.struct_logger import StructLogConfig, StructLogger, StructLogVMs, TraceTooLarge
from ogkit.chain.tracing import TracingVMs, transaction_gas_used
from ogkit.node.chain.execution import CallBudget, call_scope, spoof
from ogkit.node.chain.outcome import rejection
from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.overrides import StateOverrides
from ogkit.node.rpc.overrides import apply as apply_overrides
from ogkit.node.rpc.params import BlockRef, TxParams

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks

ZERO_ADDRESS = b"\x00" * 20

Options = TraceOptions | StructLogConfig
"""What a trace makes: callTracer frames (`TraceOptions`) or struct logs (`StructLogConfig`)."""


class Tracer:
    """`debug_traceTransaction`, `debug_traceCall` and `debug_traceBlockBy*` on `blocks`: a
    mined transaction re-executes on the state root `prestate_root(tx hash)` gives (None:
    not kept), a call in the context `exec_header(block parameter)` gives; 0xF4 answers from
    the engines' cache. All stop at `budget`'s deadline (a call's gas is capped too, as
    `eth_call`'s; a block's transactions share one deadline)."""

    def __init__(
        self,
        blocks: Blocks,
        chain_id: int,
        services: ChainServices,
        prestate_root: Callable[[bytes], bytes | None],
        exec_header: Callable[[BlockRef], BlockHeaderAPI],
        budget: CallBudget | None = None,
    ) -> None:
        self.blocks = blocks
        self.budget = budget or CallBudget()
        self.chain_id = chain_id
        self.prestate_root = prestate_root
        self.exec_header = exec_header
        self.backend = ReplayBackend(services.inference, services.llm)
        precompiles = precompile_map(replay_services(services, self.backend))
        self._vms = TracingVMs(precompiles)
        self._struct_vms = StructLogVMs(precompiles)

    def trace_transaction(self, tx_hash: bytes, options: Options) -> dict[str, Any]:
        """The trace of a mined (or pending) transaction, re-executed on its pre-state."""
        blocks = self.blocks
        with blocks.lock, blocks.lock.reads_only(), self._running():
            found = blocks.find_transaction(tx_hash)
            if found is None:
                raise ServerError(f"transaction 0x{tx_hash.hex()} not found")
            tx, block, index = found
            if index is None:  # in the pool: it has no pre-state yet
                raise ServerError(
                    f"transaction 0x{tx_hash.hex()} waits in the transaction pool; "
                    "trace it once it has run"
                )
            if block is None:  # the pending block's
                header, transactions = blocks.chain.header, blocks.chain.get_block().transactions
            else:
                header, transactions = block.header, block.transactions
            state = self._pre_state(header, transactions, index, options)
            return self._traced(state, tx, options)

    def trace_block(self, ref: BlockRef, options: Options) -> list[dict[str, Any]]:
        """geth's `debug_traceBlockBy*`: `{txHash, result}` for each of the block's
        transactions, in order, each re-executed on the state the one before left."""
        blocks = self.blocks
        with blocks.lock, blocks.lock.reads_only(), self._running():
            header = blocks.header_for(ref)
            if header is None:
                raise ServerError(_missing_block(ref))
            if header.block_number == 0:
                raise ServerError("genesis is not traceable")  # geth's words
            if ref.tag == "pending":
                transactions = blocks.chain.get_block().transactions
            else:
                transactions = blocks.block_by_header(header).transactions
            traces = []
            state = None
            for index, tx in enumerate(transactions):
                if state is None or self.prestate_root(tx.hash) is not None:
                    state = self._pre_state(header, transactions, index, options)
                result = self._traced(state, tx, options)
                state.lock_changes()
                traces.append({"txHash": "0x" + tx.hash.hex(), "result": result})
            return traces

    def trace_call(
        self,
        tx: TxParams,
        ref: BlockRef,
        options: Options,
        pipe: bool,
        overrides: StateOverrides | None = None,
    ) -> Any:
        """The trace of an `eth_call` with the same parameters (reverts included), on the
        state with geth's `stateOverrides` written in (the state is thrown away)."""
        budget = self.budget
        with call_scope(self.blocks, budget, pipe), _too_large():
            header = self.exec_header(ref)
            gas = budget.gas(tx.gas, header.gas_limit)
            vm = self._vm(header, options)
            state = vm.state
            spoofed = spoof(vm, tx, gas)
            apply_overrides(state, overrides)
            logger = _logger(options)
            try:
                with logger.collecting():
                    computation = state.apply_transaction(spoofed)
            except ValidationError as exc:
                raise rejection(exc) from None
            return self._result(
                computation, logger, tx.sender or ZERO_ADDRESS, spoofed, state, options
            )

    def stats(self) -> dict[str, int]:
        return {
            "traceCacheHits": self.backend.cache_hits,
            "traceModelRuns": self.backend.model_runs,
        }

    @contextmanager
    def _running(self) -> Iterator[None]:
        with self.budget.running(), _too_large():
            yield

    def _pre_state(
        self, header: BlockHeaderAPI, transactions: Any, index: int, options: Options
    ) -> Any:
        """The state the block's transaction `index` ran on: its recorded pre-state, else
        (mined before pre-states were kept) the block's parent state plus the earlier ones."""
        pre_state = self.prestate_root(transactions[index].hash)
        if pre_state is not None:
            return self._vm(header.copy(state_root=pre_state), options).state
        parent = self.blocks.chain.get_block_header_by_hash(header.parent_hash)
        state = self._vm(header.copy(state_root=parent.state_root), options).state
        for previous in transactions[:index]:
            self._apply(state, previous)
            state.lock_changes()
        return state

    def _traced(self, state: Any, tx: Any, options: Options) -> dict[str, Any]:
        logger = _logger(options)
        with logger.collecting():
            computation = self._apply(state, tx)
        return self._result(computation, logger, self.blocks.sender_of(tx), tx, state, options)

    def _result(
        self,
        computation: ComputationAPI,
        logger: StructLogger,
        sender: bytes,
        tx: Any,
        state: Any,
        options: Options,
    ) -> dict[str, Any]:
        gas_used = transaction_gas_used(state, tx, computation)
        if isinstance(options, StructLogConfig):
            return logger.result(computation, gas_used)
        return call_frames(computation, sender=sender, tx=tx, gas_used=gas_used, options=options)

    def _apply(self, state: Any, tx: Any) -> ComputationAPI:
        tx.__dict__["sender"] = self.blocks.sender_of(tx)  # impersonated senders, as mined
        try:
            return state.apply_transaction(tx)
        except ValidationError as exc:
            raise ServerError(f"cannot re-execute 0x{tx.hash.hex()}: {exc}") from None

    def _vm(self, header: BlockHeaderAPI, options: Options) -> Any:
        vms = self._struct_vms if isinstance(options, StructLogConfig) else self._vms
        return vms.vm(self.blocks.chain, header, self.chain_id)


def _logger(options: Options) -> StructLogger:
    """The step collector (callTracer's runs collect nothing: their VMs log no steps)."""
    return StructLogger(options if isinstance(options, StructLogConfig) else None)


@contextmanager
def _too_large() -> Iterator[None]:
    try:
        yield
    except TraceTooLarge as exc:
        raise ServerError(str(exc)) from None


def _missing_block(ref: BlockRef) -> str:
    """geth's words for a block it does not have."""
    if ref.hash is not None:
        return f"block 0x{ref.hash.hex()} not found"
    if ref.number is not None:
        return f"block #{ref.number} not found"
    return f"block {ref.tag} not found"
