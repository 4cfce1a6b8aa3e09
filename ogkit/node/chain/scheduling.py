"""Scheduled workflows on the node: the runner of ogkit/workflows at every new block.

The miner calls `Workflows.run_due` just before it seals a block (`evm_mine`, `anvil_mine`,
the block-time thread, an automined transaction): the due tasks' `run()` transactions,
signed by the scheduler's system account, go into it if its gas allows. With automine, a
transaction arriving while runs are due finds them sealed in a block of their own first,
so it keeps the whole block gas (Ape sends the block gas limit).
The run ledger lives in the node's database (it survives restarts); an entry counts while
its transaction is canonical.

Cost when no task exists: reading the scheduler's task count from the state is a trie walk
(~0.6 ms), too much to pay on every automined block. So once the count is 0 on top of a
block, each following block whose logs bloom cannot hold a scheduler event (registering
emits one) carries that answer forward; anything else (a possible scheduler log, the head
moved by evm_revert or debug_setHead) reads the state again. (Scheduler storage rewritten
with anvil_setStorageAt/anvil_setCode is seen once any scheduler event or head move occurs.)
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import TYPE_CHECKING

from eth.abc import BlockAPI
from eth_bloom import BloomFilter
from eth_keys import keys
from eth_utils import to_canonical_address

from ogkit.chain.genesis import SCHEDULER_SYSTEM_KEY, TASK_SCHEDULER_ADDRESS
from ogkit.node.rpc.params import BlockRef, TxParams
from ogkit.workflows.runner import ScheduledRun, SchedulerRunner

if TYPE_CHECKING:
    from ogkit.node.chain.node_chain import NodeChain

LEDGER_KEY = b"ogkit:workflows:runs:"
"""+ contract address: JSON [[run tx hash hex, block timestamp], ...], oldest first."""
LEDGER_DEPTH = 32
PENDING = BlockRef(tag="pending")


class NodeRunLedger:
    def __init__(self, node: NodeChain) -> None:
        self.node = node

    def _entries(self, contract: bytes) -> list[list]:
        raw = self.node.db.get(LEDGER_KEY + contract)
        return json.loads(raw) if raw else []

    def last_run(self, contract: bytes) -> int | None:
        for tx_hash, timestamp in reversed(self._entries(contract)):
            if self.node.find_transaction(bytes.fromhex(tx_hash)) is not None:
                return timestamp
        return None

    def record(self, contract: bytes, tx_hash: bytes, timestamp: int) -> None:
        entries = self._entries(contract) + [[tx_hash.hex(), timestamp]]
        self.node.db[LEDGER_KEY + contract] = json.dumps(entries[-LEDGER_DEPTH:]).encode()


class NodePendingBlock:
    """The node's pending block, as the runner sees it (lock held by the caller)."""

    def __init__(self, node: NodeChain) -> None:
        self.node = node
        header = node.chain.header
        self.timestamp = header.timestamp
        self.gas_left = header.gas_limit - header.gas_used
        self.base_fee = getattr(header, "base_fee_per_gas", 0)

    def storage(self, address: bytes, slot: int) -> int:
        return self.node.storage_of(address, slot, PENDING)

    def call(self, to: bytes, data: bytes) -> bytes:
        return self.node.call(TxParams(to=to, data=data), PENDING)

    def nonce(self, address: bytes) -> int:
        return self.node.nonce_of(address, PENDING)

    def include(
        self, key: keys.PrivateKey, nonce: int, gas: int, gas_price: int, to: bytes, data: bytes
    ) -> bytes:
        node = self.node
        vm = node.chain.get_vm()
        unsigned = vm.create_unsigned_transaction(
            nonce=nonce, gas_price=gas_price, gas=gas, to=to, value=0, data=data
        )
        signed = unsigned.as_signed_transaction(key, chain_id=node.chain_id)
        # as if it came in raw (see transactions.send_transaction)
        tx = vm.get_transaction_builder().decode(signed.encode())
        node.miner.include(tx)
        return tx.hash


class Workflows:
    def __init__(self, node: NodeChain) -> None:
        self.node = node
        self._scheduler = to_canonical_address(TASK_SCHEDULER_ADDRESS)
        self.runner = SchedulerRunner(self._scheduler, SCHEDULER_SYSTEM_KEY, NodeRunLedger(node))
        self._idle_on: bytes | None = None
        """A block on top of which no task exists."""
        node.miner.before_block = self.run_due
        node.miner.on_mined.append(self.sealed)

    def run_due(self) -> list[ScheduledRun]:
        """Never fails the block: a broken run is reported on stderr and skipped."""
        try:
            parent = self.node.chain.header.parent_hash
            if self._idle_on == parent:
                return []
            block = NodePendingBlock(self.node)
            if not self.runner.has_tasks(block):
                self._idle_on = parent
                return []
            self._idle_on = None
            return self.runner.run_due(block)
        except Exception:  # noqa: BLE001 - the block must be mined whatever the tasks do
            print("scheduled workflow runs failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            return []

    def sealed(self, block: BlockAPI, _mined: object) -> None:
        """An on_mined listener: carry "no task" over a block that cannot have changed it."""
        header = block.header
        if self._idle_on == header.parent_hash and self._scheduler not in BloomFilter(header.bloom):
            self._idle_on = block.hash
        else:
            self._idle_on = None
