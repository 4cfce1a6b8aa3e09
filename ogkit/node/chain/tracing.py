"""geth's `callTracer` for `debug_traceTransaction` and `debug_traceCall`.

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
"""

from __future__ import annotations

from collections.abc import Callable
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
from ogkit.chain.tracing import TracingVMs, transaction_gas_used
from ogkit.node.chain.execution import CallBudget, call_scope, spoof
from ogkit.node.chain.outcome import rejection
from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.params import BlockRef, TxParams

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks

ZERO_ADDRESS = b"\x00" * 20


class Tracer:
    """`debug_traceTransaction` and `debug_traceCall` on `blocks`: a mined transaction
    re-executes on the state root `prestate_root(tx hash)` gives (None: not kept), a call in
    the context `exec_header(block parameter)` gives; 0xF4 answers from the engines' cache.
    Both stop at `budget`'s deadline (a call's gas is capped too, as `eth_call`'s)."""

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
        self._vms = TracingVMs(precompile_map(replay_services(services, self.backend)))

    def trace_transaction(self, tx_hash: bytes, options: TraceOptions) -> dict[str, Any]:
        """The frames of a mined (or pending) transaction, re-executed on its pre-state."""
        blocks = self.blocks
        with blocks.lock, blocks.lock.reads_only(), self.budget.running():
            found = blocks.find_transaction(tx_hash)
            if found is None:
                raise ServerError(f"transaction 0x{tx_hash.hex()} not found")
            tx, block, index = found
            if index is None:  # in the pool: it has no pre-state yet
                raise ServerError(
                    f"transaction 0x{tx_hash.hex()} waits in the transaction pool; "
                    "trace it once it has run"
                )
            header = blocks.chain.header if block is None else block.header
            pre_state = self.prestate_root(tx_hash)
            if pre_state is not None:
                state = self._vm(header.copy(state_root=pre_state)).state
            else:  # mined before pre-states were kept: replay the block up to it
                parent = blocks.chain.get_block_header_by_hash(header.parent_hash)
                state = self._vm(header.copy(state_root=parent.state_root)).state
                earlier = (blocks.chain.get_block() if block is None else block).transactions
                for previous in earlier[:index]:
                    self._apply(state, previous)
                    state.lock_changes()
            computation = self._apply(state, tx)
            return call_frames(
                computation,
                sender=blocks.sender_of(tx),
                tx=tx,
                gas_used=transaction_gas_used(state, tx, computation),
                options=options,
            )

    def trace_call(
        self, tx: TxParams, ref: BlockRef, options: TraceOptions, pipe: bool
    ) -> dict[str, Any]:
        """The frames of an `eth_call` with the same parameters (reverts included)."""
        budget = self.budget
        with call_scope(self.blocks, budget, pipe):
            header = self.exec_header(ref)
            gas = budget.gas(tx.gas, header.gas_limit)
            vm = self._vm(header)
            state = vm.state
            spoofed = spoof(vm, tx, gas)
            try:
                computation = state.apply_transaction(spoofed)
            except ValidationError as exc:
                raise rejection(exc) from None
            return call_frames(
                computation,
                sender=tx.sender or ZERO_ADDRESS,
                tx=spoofed,
                gas_used=transaction_gas_used(state, spoofed, computation),
                options=options,
            )

    def stats(self) -> dict[str, int]:
        return {
            "traceCacheHits": self.backend.cache_hits,
            "traceModelRuns": self.backend.model_runs,
        }

    def _apply(self, state: Any, tx: Any) -> ComputationAPI:
        tx.__dict__["sender"] = self.blocks.sender_of(tx)  # impersonated senders, as mined
        try:
            return state.apply_transaction(tx)
        except ValidationError as exc:
            raise ServerError(f"cannot re-execute 0x{tx.hash.hex()}: {exc}") from None

    def _vm(self, header: BlockHeaderAPI) -> Any:
        return self._vms.vm(self.blocks.chain, header, self.chain_id)
