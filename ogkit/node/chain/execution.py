"""Calls that change nothing: `eth_call` and `eth_estimateGas`.

A call runs in the context of the next block for "latest"/"pending" (dev state changes
included), otherwise in that of the block named, with a zero base fee and gas price as geth
does, on a state snapshot that is reverted afterwards. `pipe`: two-phase execution (PIPE)
emulation, the node's current setting.

Every call, estimate and trace runs within a `CallBudget` (geth's `--rpc.gascap` and
`--rpc.evmtimeout`): its gas is capped, and it is stopped at the deadline, so no request
holds the chain lock, and every other request, longer than the timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth.abc import BlockHeaderAPI, ComputationAPI
from eth.exceptions import OutOfGas
from eth.vm.spoof import SpoofTransaction
from eth_utils import ValidationError

from ogkit.chain.budget import DEFAULT_EVM_TIMEOUT, DEFAULT_GAS_CAP, ExecutionTimeout, deadline
from ogkit.chain.fork import floor_data_gas
from ogkit.chain.gas_search import least_passing_gas
from ogkit.chain.phase import execution_phase, simulation_phase
from ogkit.chain.tracing import spoofed_call
from ogkit.node.chain.outcome import computation_error, rejection
from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.overrides import StateOverrides
from ogkit.node.rpc.overrides import apply as apply_overrides
from ogkit.node.rpc.params import BlockRef, TxParams

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks
    from ogkit.node.chain.clock import Clock
    from ogkit.node.chain.config import NodeConfig

ZERO_ADDRESS = b"\x00" * 20


@dataclass(frozen=True)
class CallBudget:
    """What one call, estimate or trace may use: `gas_cap` gas (0: the block gas limit
    only) and `timeout` seconds with the chain lock (0: no limit)."""

    gas_cap: int = DEFAULT_GAS_CAP
    timeout: float = DEFAULT_EVM_TIMEOUT

    @classmethod
    def of(cls, config: NodeConfig) -> CallBudget:
        """`ogkit node --rpc-gas-cap --rpc-evm-timeout`."""
        return cls(config.rpc_gas_cap, config.rpc_evm_timeout)

    def gas(self, requested: int | None, block_gas_limit: int) -> int:
        """The gas a call runs with: what it asks for (default: the block gas limit), at
        most the block gas limit, capped silently at `gas_cap` (as geth caps `eth_call`)."""
        gas = min(requested or block_gas_limit, block_gas_limit)
        return min(gas, self.gas_cap) if self.gas_cap else gas

    @contextmanager
    def running(self) -> Iterator[None]:
        """Within it, EVM runs stop at the deadline; that comes out as geth's error."""
        try:
            with deadline(self.timeout):
                yield
        except ExecutionTimeout as exc:
            raise ServerError(str(exc)) from None


@contextmanager
def call_scope(blocks: Blocks, budget: CallBudget, pipe: bool) -> Iterator[None]:
    """What every call, estimate and call trace runs under: the chain lock (cheap reads may
    pass it, `reads_only`), the simulation phase (PIPE's if on) and the budget's deadline."""
    with (
        blocks.lock,
        blocks.lock.reads_only(),
        execution_phase(simulation_phase(pipe)),
        budget.running(),
    ):
        yield


class Executor:
    """Runs calls on `blocks`, in the next block's context `clock` times, within `budget`."""

    def __init__(self, blocks: Blocks, clock: Clock, budget: CallBudget | None = None) -> None:
        self.blocks = blocks
        self.clock = clock
        self.budget = budget or CallBudget()

    def exec_header(self, ref: BlockRef) -> BlockHeaderAPI:
        """The context a call runs in: the next block for latest/pending, else that block."""
        blocks = self.blocks
        chain = blocks.chain
        if ref.hash is None and ref.number is None and ref.tag != "earliest":
            if ref.tag == "pending" or not blocks.pending_has_txs():
                base = chain.header
                if not blocks.pending_has_txs():
                    base = base.copy(timestamp=self.clock.timestamp_for_next_block())
            else:
                base = chain.create_header_from_parent(blocks.head)
        else:
            base = blocks.header_for(ref)
            if base is None:
                raise ServerError("header not found")
        fields = {"gas_used": 0}
        if hasattr(base, "base_fee_per_gas"):
            fields["base_fee_per_gas"] = 0
        return base.copy(**fields)

    def call(
        self, tx: TxParams, ref: BlockRef, pipe: bool, overrides: StateOverrides | None = None
    ) -> bytes:
        budget = self.budget
        with call_scope(self.blocks, budget, pipe):
            header = self.exec_header(ref)
            gas = budget.gas(tx.gas, header.gas_limit)
            vm = self.blocks.chain.get_vm(header)
            try:
                computation = run(vm, tx, gas, overrides)
            except ValidationError as exc:
                raise rejection(exc) from None
            if computation.is_error:
                raise computation_error(computation)
            return computation.output

    def estimate_gas(
        self, tx: TxParams, ref: BlockRef, pipe: bool, overrides: StateOverrides | None = None
    ) -> int:
        """The least gas limit that succeeds (to 0.1%), by bisection above what a run used,
        up to the gas cap (geth's search is bounded by it too); all runs share one deadline."""
        budget = self.budget
        with call_scope(self.blocks, budget, pipe):
            header = self.exec_header(ref)
            cap = budget.gas(tx.gas, header.gas_limit)
            vm = self.blocks.chain.get_vm(header)
            return least_gas(vm, tx, cap, overrides)


def spoof(vm: Any, tx: TxParams, gas: int) -> SpoofTransaction:
    return spoofed_call(vm, tx.sender or ZERO_ADDRESS, tx.to, tx.value, tx.data, gas)


def run(vm: Any, tx: TxParams, gas: int, overrides: StateOverrides | None = None) -> ComputationAPI:
    state = vm.state
    snapshot = state.snapshot()
    try:
        apply_overrides(state, overrides)
        return state.apply_transaction(spoof(vm, tx, gas))
    finally:
        state.revert(snapshot)


def least_gas(vm: Any, tx: TxParams, cap: int, overrides: StateOverrides | None = None) -> int:
    """The least gas limit up to `cap` that is valid and succeeds: at least EIP-7623's
    calldata floor (geth's `max(estimate, floor)`; the trial runs are exempt from the floor
    rule, fork.py), and what execution needs by bisection (to 0.1%)."""
    floor = floor_data_gas(tx.data)
    if floor > cap:
        raise ServerError(f"gas required exceeds allowance ({cap})")
    return max(floor, execution_gas(vm, tx, cap, overrides))


def execution_gas(vm: Any, tx: TxParams, cap: int, overrides: StateOverrides | None = None) -> int:
    """The least gas limit up to `cap` whose execution succeeds (to 0.1%): geth's search,
    shared with the in-process chain (ogkit/chain/gas_search.py)."""

    def attempt(gas: int) -> ComputationAPI:
        try:
            return run(vm, tx, gas, overrides)
        except ValidationError as exc:
            raise rejection(exc) from None

    first = attempt(cap)
    if first.is_error:
        if isinstance(first.error, OutOfGas):  # geth's words when even the cap is too little
            raise ServerError(f"gas required exceeds allowance ({cap})")
        raise computation_error(first)
    intrinsic = spoof(vm, tx, cap).intrinsic_gas
    needed = intrinsic + first.get_gas_used()
    return least_passing_gas(lambda gas: not attempt(gas).is_error, needed, cap)
