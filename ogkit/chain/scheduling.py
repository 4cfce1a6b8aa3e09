"""Scheduled workflow runs on any host of the AI chain (host.py): the runner of
ogkit/workflows at every new block.

Just before a host seals a block (`before_seal`: the node's `evm_mine`, `anvil_mine`, block
timer and automine; eth-tester's `mine_blocks`, `time_travel`) the due tasks' `run()`
transactions, signed by the scheduler's system account, go into it if its gas allows. When
a transaction arrives on an empty pending block while runs are due (`runs_first`), the host
seals the runs in a block of their own first, so the transaction keeps the whole block gas
(Ape sends the block gas limit).

The run ledger (`StoredRunLedger`) is kept in a key-value store: the node's database (it
survives restarts), a dict in memory for eth-tester. An entry counts while its transaction
is canonical (or pending), so snapshot reverts, `evm_revert` and `debug_setHead` undo runs.

Cost when no task exists: reading the scheduler's task count from the state is a trie walk
(~0.6 ms), too much to pay on every automined block. So once the count is 0 on top of a
block, each following block whose logs bloom cannot hold a scheduler event (registering
emits one) carries that answer forward; anything else (a possible scheduler log, the head
moved) reads the state again. (Scheduler storage rewritten with anvil_setStorageAt or
anvil_setCode is seen once any scheduler event or head move occurs.)
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any

from eth.abc import BlockHeaderAPI
from eth.constants import BLANK_ROOT_HASH
from eth.vm.spoof import SpoofTransaction
from eth_bloom import BloomFilter
from eth_keys import keys
from eth_utils import to_canonical_address

from ogkit.chain.genesis import SCHEDULER_SYSTEM_KEY, TASK_SCHEDULER_ADDRESS
from ogkit.chain.host import ChainHost
from ogkit.workflows.runner import ScheduledRun, SchedulerRunner

ZERO_ADDRESS = b"\x00" * 20
LEDGER_KEY = b"ogkit:workflows:runs:"
"""+ contract address: JSON [[run tx hash hex, block timestamp], ...], oldest first."""
LEDGER_DEPTH = 32
SCHEDULER = to_canonical_address(TASK_SCHEDULER_ADDRESS)
"""Converted once: the hooks below run for every block."""


def pending_has_txs(chain: Any) -> bool:
    return chain.header.transaction_root != BLANK_ROOT_HASH


def is_canonical_tx(chain: Any, tx_hash: bytes) -> bool:
    """`tx_hash` is in the pending block or a canonical one (eth-tester hosts; the node
    asks its own block cache)."""
    if pending_has_txs(chain) and any(tx.hash == tx_hash for tx in chain.get_block().transactions):
        return True
    try:
        number, index = chain.chaindb.get_transaction_index(tx_hash)
        block = chain.get_canonical_block_by_number(number)
    except Exception:  # noqa: BLE001 - TransactionNotFound, BlockNotFound, HeaderNotFound
        return False
    if number >= chain.header.block_number:
        return False
    return index < len(block.transactions) and block.transactions[index].hash == tx_hash


class StoredRunLedger:
    """When each task last ran, in `store`; `is_canonical(tx_hash)` says if a run counts."""

    def __init__(
        self, store: MutableMapping[bytes, bytes], is_canonical: Callable[[bytes], bool]
    ) -> None:
        self.store = store
        self.is_canonical = is_canonical

    def _entries(self, contract: bytes) -> list[list]:
        raw = self.store.get(LEDGER_KEY + contract)
        return json.loads(raw) if raw else []

    def last_run(self, contract: bytes) -> int | None:
        for tx_hash, timestamp in reversed(self._entries(contract)):
            if self.is_canonical(bytes.fromhex(tx_hash)):
                return timestamp
        return None

    def record(self, contract: bytes, tx_hash: bytes, timestamp: int) -> None:
        entries = self._entries(contract) + [[tx_hash.hex(), timestamp]]
        self.store[LEDGER_KEY + contract] = json.dumps(entries[-LEDGER_DEPTH:]).encode()


class HostPendingBlock:
    """The host's pending block, as the runner sees it (lock held by the caller)."""

    def __init__(self, host: ChainHost) -> None:
        self.host = host
        self.chain = host.chain
        header = self.chain.header
        self.timestamp = header.timestamp
        self.gas_left = header.gas_limit - header.gas_used
        self.base_fee = getattr(header, "base_fee_per_gas", 0)

    def storage(self, address: bytes, slot: int) -> int:
        return self.chain.get_vm().state.get_storage(address, slot)

    def nonce(self, address: bytes) -> int:
        return self.chain.get_vm().state.get_nonce(address)

    def call(self, to: bytes, data: bytes) -> bytes:
        """An `eth_call` on the pending state (zero base fee and gas price, as geth)."""
        header = self.chain.header
        fields = {"base_fee_per_gas": 0} if hasattr(header, "base_fee_per_gas") else {}
        vm = self.chain.get_vm(header.copy(gas_used=0, **fields))
        state = vm.state
        unsigned = vm.create_unsigned_transaction(
            nonce=state.get_nonce(ZERO_ADDRESS),
            gas_price=0,
            gas=header.gas_limit,
            to=to,
            value=0,
            data=data,
        )
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(SpoofTransaction(unsigned, from_=ZERO_ADDRESS))
        finally:
            state.revert(snapshot)
        computation.raise_if_error()
        return computation.output

    def include(
        self, key: keys.PrivateKey, nonce: int, gas: int, gas_price: int, to: bytes, data: bytes
    ) -> bytes:
        vm = self.chain.get_vm()
        unsigned = vm.create_unsigned_transaction(
            nonce=nonce, gas_price=gas_price, gas=gas, to=to, value=0, data=data
        )
        signed = unsigned.as_signed_transaction(key, chain_id=self.chain.chain_id)
        # as if it came in raw, like any other transaction
        tx = vm.get_transaction_builder().decode(signed.encode())
        self.host.include_transaction(tx)
        return tx.hash


class ScheduledRuns:
    """The one scheduling adapter: a host calls `before_seal`, `after_seal`, `runs_first`."""

    def __init__(self, host: ChainHost) -> None:
        self.host = host
        self._runner: SchedulerRunner | None = None
        self._idle_on: bytes | None = None
        """A block on top of which no task exists."""

    @property
    def runner(self) -> SchedulerRunner:
        """Made on first use: a host may make its ledger after this adapter."""
        if self._runner is None:
            self._runner = SchedulerRunner(SCHEDULER, SCHEDULER_SYSTEM_KEY, self.host.run_ledger)
        return self._runner

    def before_seal(self) -> list[ScheduledRun]:
        """The due tasks' `run()` into the pending block. Never fails the block: a broken
        run is reported on stderr and skipped."""
        try:
            parent = self.host.chain.header.parent_hash
            if self._idle_on == parent:
                return []
            block = HostPendingBlock(self.host)
            runner = self.runner
            if not runner.has_tasks(block):
                self._idle_on = parent
                return []
            self._idle_on = None
            return runner.run_due(block)
        except Exception:  # noqa: BLE001 - the block must be mined whatever the tasks do
            print("scheduled workflow runs failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            return []

    def after_seal(self, header: BlockHeaderAPI) -> None:
        """Carry "no task" over a block that cannot have changed it."""
        if self._idle_on == header.parent_hash and SCHEDULER not in BloomFilter(header.bloom):
            self._idle_on = header.hash
        else:
            self._idle_on = None

    def idle(self) -> bool:
        """No task exists on top of the pending block's parent: `before_seal` adds nothing
        to the pending block, whatever it holds (a host may then seal it in one go)."""
        return self._idle_on is not None and self._idle_on == self.host.chain.header.parent_hash

    def runs_first(self) -> bool:
        """Before an incoming transaction: True if the pending block was empty and now holds
        due runs, which the host seals alone first."""
        return not pending_has_txs(self.host.chain) and bool(self.before_seal())


__all__ = [
    "HostPendingBlock",
    "ScheduledRuns",
    "StoredRunLedger",
    "is_canonical_tx",
    "pending_has_txs",
]
