"""`eth_simulateV1`: blocks of calls on top of a block, as geth simulates them, kept nowhere.

geth's rules (internal/ethapi/simulate.go): block numbers and timestamps must rise (gaps are
filled with empty blocks, 12 seconds apart); each block is a child of the one before, with
the base block's fee recipient and gas limit unless overridden, PREVRANDAO and the beacon
root zero unless overridden, and a zero base fee unless `validation` (then EIP-1559's from
the parent) or an override names one. A call without `gas` may use what is left of its
block's gas limit; all of them share the node's gas cap (`--rpc-gas-cap`) and one deadline
(`--rpc-evm-timeout`), under the same lock and phase as `eth_call` (`call_scope`).

Nothing is written: the state lives in py-evm's account cache over an in-memory layer
(`BatchDB`) on the chain's database, so the trie nodes a state root needs never reach it,
and the simulated blocks are never stored. Inference: the calls run in `eth_call`'s phase,
so without `--pipe` a 0xF4 call runs the model (or answers from the result cache) and
returns what a mined transaction would, and records nothing; with `--pipe` it answers
PIPE's first pass, an empty output flagged `is_simulation_result`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from eth.db.atomic import AtomicDB
from eth.db.batch import BatchDB
from eth.db.trie import make_trie_root_and_nodes
from eth.exceptions import Revert
from eth.vm.chain_context import ChainContext
from eth.vm.forks.shanghai.withdrawals import Withdrawal
from eth_utils import ValidationError, to_checksum_address

from ogkit.chain.callframes import error_text
from ogkit.chain.fork import floor_data_gas
from ogkit.chain.reverts import revert_message
from ogkit.chain.tracing import transaction_gas_used
from ogkit.node.chain import simcall
from ogkit.node.chain.execution import CallBudget, call_scope
from ogkit.node.chain.outcome import rejection
from ogkit.node.rpc.errors import RpcError, ServerError
from ogkit.node.rpc.overrides import apply as apply_overrides
from ogkit.node.rpc.params import BlockRef
from ogkit.node.rpc.simparams import MAX_BLOCKS, BlockOverrides, ClientLimitExceeded, SimBlock

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks
    from ogkit.node.rpc.simparams import SimRequest

TIMESTAMP_INCREMENT = 12
BLOCK_NUMBER_INVALID = -38020
BLOCK_TIMESTAMP_INVALID = -38021
REVERTED = 3
VM_ERROR = -32015
CAPPED = " (gas limit was capped by the RPC server's global gas cap)"
MAX_ANCESTORS = 256


@dataclass(frozen=True)
class SimulatedCall:
    return_data: bytes
    logs: list[tuple[bytes, tuple[int, ...], bytes]]
    """(address, topics, data), transfers included; the block places them."""
    gas_used: int
    max_used_gas: int
    """geth's `maxUsedGas`: before the refund (at least the calldata floor when it applied)."""
    status: int
    error: dict[str, Any] | None


@dataclass(frozen=True)
class SimulatedBlock:
    block: Any
    """A py-evm block: header, transactions (unsigned, zero signature), withdrawals."""
    calls: list[SimulatedCall]
    senders: dict[bytes, bytes]
    """Transaction hash -> sender (the transactions carry no signature to recover it)."""


def plan(blocks: tuple[SimBlock, ...], number: int, timestamp: int) -> list[SimBlock]:
    """geth's `sanitizeChain`: every block gets a number and a time after `number` and
    `timestamp` (the base block's); gaps in the numbers become empty blocks."""
    out: list[SimBlock] = []
    base, previous_time = number, timestamp
    for block in blocks:
        o = block.overrides
        wanted = number + 1 if o.number is None else o.number
        if wanted <= number:
            raise RpcError(
                BLOCK_NUMBER_INVALID, f"block numbers must be in order: {wanted} <= {number}"
            )
        if wanted - base > MAX_BLOCKS:
            raise ClientLimitExceeded("too many blocks")
        for gap in range(number + 1, wanted):
            previous_time += TIMESTAMP_INCREMENT
            out.append(SimBlock(overrides=BlockOverrides(number=gap, time=previous_time)))
        number = wanted
        time = previous_time + TIMESTAMP_INCREMENT if o.time is None else o.time
        if time <= previous_time:
            raise RpcError(
                BLOCK_TIMESTAMP_INVALID,
                f"block timestamps must be in order: {time} <= {previous_time}",
            )
        previous_time = time
        out.append(replace(block, overrides=replace(o, number=wanted, time=time)))
    return out


def block_precompiles(base: dict, block: SimBlock) -> dict | None:
    """geth's `StateOverride.Apply` on the precompile map: an overridden precompile address
    is a precompile no more, a moved one runs at its new address; None: unchanged."""
    touched = sorted(block.state or ())
    if not block.moves and not any(address in base for address in touched):
        return None
    precompiles, moved_to = dict(base), set()
    for address in touched:
        if address in moved_to:
            raise ServerError(
                f"account {to_checksum_address(address)} has already been overridden by a "
                "precompile"
            )
        function = precompiles.get(address)
        target = block.moves.get(address)
        if target is not None:
            if function is None:
                raise ServerError(f"account {to_checksum_address(address)} is not a precompile")
            if target in touched:
                raise ServerError(f"account {to_checksum_address(target)} is already overridden")
            precompiles[target] = function
            moved_to.add(target)
        if function is not None:
            del precompiles[address]
    return precompiles


class Simulator:
    """Runs `eth_simulateV1` on `blocks` for chain `chain_id`, within `budget`."""

    def __init__(self, blocks: Blocks, chain_id: int, budget: CallBudget) -> None:
        self.blocks = blocks
        self.chain_id = chain_id
        self.budget = budget
        self._state_classes: dict[type, type] = {}

    def simulate(self, request: SimRequest, ref: BlockRef, pipe: bool) -> list[SimulatedBlock]:
        with call_scope(self.blocks, self.budget, pipe):
            base, root = self._base(ref)
            planned = plan(request.blocks, base.block_number, base.timestamp)
            run = _Run(self, request, base, root)
            return [run.block(block) for block in planned]

    def _base(self, ref: BlockRef) -> tuple[Any, bytes]:
        """The block simulated on and the state it starts from: at "latest", the node's
        latest state (dev changes included, as `eth_call` sees it)."""
        blocks = self.blocks
        if ref.hash is None and ref.number is None and ref.tag in ("latest", "safe", "finalized"):
            head = blocks.head
            pending = blocks.chain.header
            return head, head.state_root if blocks.pending_has_txs() else pending.state_root
        header = blocks.header_for(ref)
        if header is None:
            raise ServerError("header not found")
        return header, header.state_root

    def state_class(self, vm_class: type) -> type:
        found = self._state_classes.get(vm_class)
        if found is None:
            found = simcall.sim_state_class(vm_class.get_state_class())
            self._state_classes[vm_class] = found
        return found


class _Run:
    """One simulation: the state carried from block to block, the gas left, the hashes."""

    def __init__(self, sim: Simulator, request: SimRequest, base: Any, root: bytes) -> None:
        self.sim = sim
        self.request = request
        self.chain = sim.blocks.chain
        self.vm_class = self.chain.get_vm_class_for_block_number(base.block_number + 1)
        self.db = AtomicDB(BatchDB(self.chain.chaindb.db))
        self.parent = base
        self.template = base
        self.root = root
        self.state: Any = None
        self.gas_left = sim.budget.gas_cap or 2**64 - 1
        ancestors = self.vm_class.get_prev_hashes(base.parent_hash, self.chain.chaindb) or ()
        self.hashes = [base.hash, *ancestors][:MAX_ANCESTORS]
        computation = self.vm_class.get_state_class().computation_class
        self.computation = computation
        self.default_computation = simcall.sim_computation_class(
            computation, None, request.trace_transfers
        )

    def header(self, block: SimBlock) -> Any:
        o, template = block.overrides, self.template
        header = self.vm_class.create_header_from_parent(
            self.parent,
            timestamp=o.time,
            coinbase=o.fee_recipient or template.coinbase,
            gas_limit=template.gas_limit if o.gas_limit is None else o.gas_limit,
            mix_hash=o.prev_randao or b"\x00" * 32,
            difficulty=0,  # post-merge: geth's `difficulty` override is a no-op
            nonce=b"\x00" * 8,
            extra_data=b"",
            parent_beacon_block_root=o.beacon_root or b"\x00" * 32,
        )
        if o.base_fee is not None:
            return header.copy(base_fee_per_gas=o.base_fee)
        if not self.request.validation:
            return header.copy(base_fee_per_gas=0)
        return header

    def begin(self, header: Any, block: SimBlock) -> None:
        """The state in this block's context, its overrides applied."""
        context = self.vm_class.create_execution_context(
            header, tuple(self.hashes), ChainContext(self.sim.chain_id)
        )
        if self.state is None:
            self.state = self.sim.state_class(self.vm_class)(self.db, context, self.root)
        else:
            self.state.execution_context = context
        self.state.blob_fee_override = block.overrides.blob_base_fee
        precompiles = block_precompiles(self.computation._precompiles, block)
        self.state.computation_class = (
            self.default_computation
            if precompiles is None
            else simcall.sim_computation_class(
                self.computation, precompiles, self.request.trace_transfers
            )
        )
        apply_overrides(self.state, block.state)
        self.state.lock_changes()

    def block(self, block: SimBlock) -> SimulatedBlock:
        header = self.header(block)
        self.begin(header, block)
        txs, receipts, calls, senders, used = [], [], [], {}, 0
        for tx in block.calls:
            shown, receipt, result = self.call(tx, header, used)
            used = receipt.gas_used
            txs.append(shown)
            receipts.append(receipt)
            calls.append(result)
            senders[shown.hash] = tx.sender or simcall.ZERO_ADDRESS
        withdrawals = [
            Withdrawal(w.index, w.validator_index, w.address, w.amount)
            for w in block.overrides.withdrawals
        ]
        for w in withdrawals:
            try:
                self.state.delta_balance(w.address, w.amount * 10**9)
            except ValidationError:
                raise ServerError(
                    f"withdrawal {w.index}: the balance would exceed 2^256-1"
                ) from None
        bloom = 0
        for receipt in receipts:
            bloom |= receipt.bloom
        fields = {
            "state_root": self.state.make_state_root(),
            "gas_used": used,
            "transaction_root": make_trie_root_and_nodes(tuple(txs))[0],
            "receipt_root": make_trie_root_and_nodes(tuple(receipts))[0],
            "bloom": bloom,
        }
        if withdrawals:
            fields["withdrawals_root"] = make_trie_root_and_nodes(tuple(withdrawals))[0]
        sealed = header.copy(**fields)
        mined = self.vm_class.get_block_class()(sealed, txs, [], withdrawals)
        self.parent = self.template = sealed
        self.hashes = [sealed.hash, *self.hashes][:MAX_ANCESTORS]
        return SimulatedBlock(mined, calls, senders)

    def call(self, tx: Any, header: Any, used: int) -> tuple[Any, Any, SimulatedCall]:
        state, chain_id = self.state, self.sim.chain_id
        remaining = header.gas_limit - used
        gas = remaining if tx.gas is None else tx.gas
        if remaining < gas:
            raise simcall.CallRefused(
                simcall.BLOCK_GAS_LIMIT_REACHED,
                f"block gas limit reached: remaining: {remaining}, required: {gas}",
            )
        capped = gas > self.gas_left
        gas = min(gas, self.gas_left)
        sender = tx.sender or simcall.ZERO_ADDRESS
        state_nonce = state.get_nonce(sender)
        nonce = state_nonce if tx.nonce is None else tx.nonce
        msg = simcall.message(tx, nonce, gas, chain_id, self.request.validation)
        builder = self.vm_class.get_transaction_builder()
        spoof = simcall.spoofed(builder, msg, chain_id, state_nonce)
        simcall.precheck(
            state, msg, header.base_fee_per_gas, self.request.validation, spoof.intrinsic_gas
        )
        state.free = msg.free
        state.lock_changes()
        try:
            computation = state.apply_transaction(spoof)
        except ValidationError as exc:  # what py-evm refuses beyond geth's checks
            raise rejection(exc) from None
        gas_used = transaction_gas_used(state, spoof, computation)
        self.gas_left -= min(gas_used, self.gas_left)
        shown = simcall.shown(builder, msg, chain_id)
        status = 0 if computation.is_error else 1
        receipt = shown.make_receipt(
            b"\x01" if status else b"", used + gas_used, computation.get_log_entries()
        )
        result = SimulatedCall(
            return_data=computation.output if status else b"",  # geth: none on failure
            logs=simcall.call_logs(computation),
            gas_used=gas_used,
            max_used_gas=_peak(spoof, computation),
            status=status,
            error=None if status else _call_error(computation, capped),
        )
        return shown, receipt, result


def _peak(spoof: Any, computation: Any) -> int:
    """geth's `settleGas` peak: the gas used before the refund, or the EIP-7623 floor when
    that lifted the gas used (py-evm's `data_floor_gas` is what it added)."""
    before_refund = spoof.gas - computation.get_gas_remaining()
    if getattr(computation, "data_floor_gas", 0):
        return max(before_refund, floor_data_gas(spoof.data))
    return before_refund


def _call_error(computation: Any, capped: bool) -> dict[str, Any]:
    """geth's `callError`: a revert with its reason and data (code 3), else the VM's error."""
    error = computation.error
    if isinstance(error, Revert):
        output = computation.output
        return {"message": revert_message(output), "code": REVERTED, "data": "0x" + output.hex()}
    return {"message": error_text(error) + (CAPPED if capped else ""), "code": VM_ERROR}
