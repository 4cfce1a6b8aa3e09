"""Into a block about to be sealed, a `run()` transaction for every task due at its time.

`SchedulerRunner.run_due()` reads the active tasks from the scheduler contract
(`getAllTasks()` on the pending state), and for each task due at the block's timestamp `t`
(schedule.py) signs a `run()` call to the task's contract from the scheduler's system
account (funded at genesis) and puts it into the block. A run that reverts is included like
any failed transaction and still counts as the run of its period (no retry storm). Runs
beyond the block's gas stay due and go into the next block. Where the runs go and when is
the chain's business (ogkit/node/chain/scheduling.py, ogkit/chain/scheduling.py).

When each task last ran is kept by a `RunLedger` (the node: in its database, so it
survives restarts); a ledger entry is a run transaction, and counts only while that
transaction is on the canonical chain, so `evm_revert` and `debug_setHead` undo runs too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from eth_keys import keys

from ogkit.workflows.schedule import GET_ALL_TASKS, RUN, TASK_IDS_SLOT, Task, decode_tasks, is_due

RUN_GAS = 5_000_000
"""Gas limit of a scheduled `run()` (the SDK's own `run_workflow` sends 30,000,000)."""


class PendingBlock(Protocol):
    """The block being built, as the runner needs it."""

    timestamp: int
    gas_left: int
    base_fee: int

    def storage(self, address: bytes, slot: int) -> int: ...
    def call(self, to: bytes, data: bytes) -> bytes: ...
    def nonce(self, address: bytes) -> int: ...
    def include(
        self, key: keys.PrivateKey, nonce: int, gas: int, gas_price: int, to: bytes, data: bytes
    ) -> bytes:
        """Sign a legacy transaction and apply it to the block; its hash."""
        ...


class RunLedger(Protocol):
    def last_run(self, contract: bytes) -> int | None: ...
    def record(self, contract: bytes, tx_hash: bytes, timestamp: int) -> None: ...


@dataclass(frozen=True)
class ScheduledRun:
    task: Task
    tx_hash: bytes
    timestamp: int


class SchedulerRunner:
    def __init__(self, scheduler: bytes, system_key: bytes, ledger: RunLedger) -> None:
        self.scheduler = scheduler
        self.key = keys.PrivateKey(system_key)
        self.system_account = self.key.public_key.to_canonical_address()
        self.ledger = ledger

    def has_tasks(self, block: PendingBlock) -> bool:
        return block.storage(self.scheduler, TASK_IDS_SLOT) != 0

    def active_tasks(self, block: PendingBlock) -> list[Task]:
        if not self.has_tasks(block):
            return []
        return decode_tasks(block.call(self.scheduler, GET_ALL_TASKS))

    def due_tasks(self, block: PendingBlock) -> list[Task]:
        now = block.timestamp
        return [
            task
            for task in self.active_tasks(block)
            if is_due(task, self.ledger.last_run(task.contract), now)
        ]

    def run_due(self, block: PendingBlock) -> list[ScheduledRun]:
        """Put the due tasks' `run()` transactions into `block`."""
        runs: list[ScheduledRun] = []
        due = self.due_tasks(block)
        if not due:
            return runs
        nonce = block.nonce(self.system_account)
        for task in due:
            if block.gas_left < RUN_GAS:
                break  # still due: the next block runs it
            tx_hash = block.include(self.key, nonce, RUN_GAS, block.base_fee, task.contract, RUN)
            nonce += 1
            self.ledger.record(task.contract, tx_hash, block.timestamp)
            runs.append(ScheduledRun(task, tx_hash, block.timestamp))
        return runs


__all__ = ["PendingBlock", "RunLedger", "ScheduledRun", "SchedulerRunner"]
