"""Scheduled workflow runs on an eth-tester chain: the in-process Ape provider
(`opengradient:local:test`) and `new_tester` run registered tasks like `ogkit node` does
(ogkit/node/scheduling.py; the same runner, ogkit/workflows/runner.py).

`ScheduledRunsMixin` goes in front of a `PyEVMBackend` subclass: just before a block is
mined (`mine_blocks`, `time_travel`) the due tasks' `run()` transactions go into it; and
when a transaction arrives on an empty pending block while runs are due, the runs are mined
in a block of their own first, so the transaction keeps the whole block gas (Ape sends the
block gas limit). The run
ledger is kept in memory (the chain is in memory too); an entry counts while its
transaction is canonical, so snapshot restores undo runs. As on the node, "no task" is
carried from block to block while no block's logs bloom can hold a scheduler event.
"""

from __future__ import annotations

from typing import Any

from eth.constants import BLANK_ROOT_HASH
from eth.vm.spoof import SpoofTransaction
from eth_bloom import BloomFilter
from eth_keys import keys
from eth_utils import to_canonical_address

from ogkit.chain.genesis import SCHEDULER_SYSTEM_KEY, TASK_SCHEDULER_ADDRESS
from ogkit.workflows.runner import ScheduledRun, SchedulerRunner

ZERO_ADDRESS = b"\x00" * 20
LEDGER_DEPTH = 32


SCHEDULER = to_canonical_address(TASK_SCHEDULER_ADDRESS)
"""Converted once: the hook below runs for every block."""


def _pending_has_txs(chain: Any) -> bool:
    return chain.header.transaction_root != BLANK_ROOT_HASH


def _is_canonical_tx(chain: Any, tx_hash: bytes) -> bool:
    if _pending_has_txs(chain) and any(tx.hash == tx_hash for tx in chain.get_block().transactions):
        return True  # in the pending block
    try:
        number, index = chain.chaindb.get_transaction_index(tx_hash)
        block = chain.get_canonical_block_by_number(number)
    except Exception:  # noqa: BLE001 - TransactionNotFound, BlockNotFound, HeaderNotFound
        return False
    if number >= chain.header.block_number:
        return False
    return index < len(block.transactions) and block.transactions[index].hash == tx_hash


class TesterRunLedger:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.entries: dict[bytes, list[tuple[bytes, int]]] = {}

    def last_run(self, contract: bytes) -> int | None:
        for tx_hash, timestamp in reversed(self.entries.get(contract, [])):
            if _is_canonical_tx(self.backend.chain, tx_hash):
                return timestamp
        return None

    def record(self, contract: bytes, tx_hash: bytes, timestamp: int) -> None:
        entries = self.entries.setdefault(contract, [])
        entries.append((tx_hash, timestamp))
        del entries[:-LEDGER_DEPTH]


class TesterPendingBlock:
    """The backend's pending block, as the runner sees it."""

    def __init__(self, backend: Any) -> None:
        self.chain = backend.chain
        header = self.chain.header
        self.timestamp = header.timestamp
        self.gas_left = header.gas_limit - header.gas_used
        self.base_fee = getattr(header, "base_fee_per_gas", 0)

    def storage(self, address: bytes, slot: int) -> int:
        return self.chain.get_vm().state.get_storage(address, slot)

    def nonce(self, address: bytes) -> int:
        return self.chain.get_vm().state.get_nonce(address)

    def call(self, to: bytes, data: bytes) -> bytes:
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
        tx = vm.get_transaction_builder().decode(signed.encode())
        self.chain.apply_transaction(tx)
        return tx.hash


class ScheduledRunsMixin:
    """For `PyEVMBackend` subclasses (listed before it): scheduled runs in every new block."""

    chain: Any

    @property
    def workflow_runner(self) -> SchedulerRunner:
        runner = self.__dict__.get("_workflow_runner")
        if runner is None:
            runner = SchedulerRunner(
                SCHEDULER,
                SCHEDULER_SYSTEM_KEY,
                TesterRunLedger(self),
            )
            self.__dict__["_workflow_runner"] = runner
            self.__dict__["_idle_on"] = None
        return runner

    def run_due_tasks(self) -> list[ScheduledRun]:
        """The due tasks' `run()` into the pending block."""
        runner = self.workflow_runner
        chain = self.chain
        parent = chain.header.parent_hash
        if self.__dict__["_idle_on"] == parent:
            return []
        block = TesterPendingBlock(self)
        if not runner.has_tasks(block):
            self.__dict__["_idle_on"] = parent
            return []
        self.__dict__["_idle_on"] = None
        return runner.run_due(block)

    def _sealed(self, block_hash: bytes) -> None:
        header = self.chain.get_block_header_by_hash(block_hash)
        idle = self.__dict__.get("_idle_on")
        if idle == header.parent_hash and SCHEDULER not in BloomFilter(header.bloom):
            self.__dict__["_idle_on"] = block_hash
        else:
            self.__dict__["_idle_on"] = None

    def _runs_first(self) -> None:
        if not _pending_has_txs(self.chain) and self.run_due_tasks():
            (block_hash,) = super().mine_blocks(1)  # type: ignore[misc]
            self._sealed(block_hash)

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        self._runs_first()
        return super().send_raw_transaction(raw_transaction)  # type: ignore[misc]

    def send_signed_transaction(self, signed_transaction: Any, block_number: Any = "latest"):
        self._runs_first()
        return super().send_signed_transaction(signed_transaction, block_number)  # type: ignore[misc]

    def send_transaction(self, transaction: Any) -> bytes:
        self._runs_first()
        return super().send_transaction(transaction)  # type: ignore[misc]

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = ZERO_ADDRESS) -> tuple:
        hashes: list[bytes] = []
        for _ in range(num_blocks):
            self.run_due_tasks()
            (block_hash,) = super().mine_blocks(1, coinbase)  # type: ignore[misc]
            self._sealed(block_hash)
            hashes.append(block_hash)
        return tuple(hashes)
