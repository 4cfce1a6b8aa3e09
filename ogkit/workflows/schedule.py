"""The TaskScheduler's tasks (contracts/hub/TaskScheduler.sol) and the rule for when one is due.

A task is due at block time `t` if `t <= endTime` and it has never run, or `t >= last run +
frequency`. So the first run comes in the first block after registration, and a run is never
earlier than `frequency` after the previous one; a late block does not make up missed runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode
from eth_utils import keccak

GET_ALL_TASKS = keccak(text="getAllTasks()")[:4]
RUN = keccak(text="run()")[:4]
"""IModelExecutor.run(): 0xc0406226."""
TASK_IDS_SLOT = 1
"""Storage slot of `taskIds` (its length = the number of active tasks): read first, so a
block on a chain without tasks costs one storage read."""


@dataclass(frozen=True)
class Task:
    user: bytes
    contract: bytes
    end_time: int
    frequency: int


def decode_tasks(output: bytes) -> list[Task]:
    """`getAllTasks()`'s return data."""
    (rows,) = decode(["(address,address,uint256,uint256)[]"], output)
    return [
        Task(bytes.fromhex(user[2:]), bytes.fromhex(contract[2:]), end, frequency)
        for user, contract, end, frequency in rows
    ]


def is_due(task: Task, last_run: int | None, now: int) -> bool:
    if now > task.end_time or task.frequency <= 0:
        return False
    return last_run is None or now >= last_run + task.frequency
