"""Scheduled workflows: the chain calls a registered contract's `run()` on its schedule.

schedule.py  the TaskScheduler's tasks as Python values, and when a task is due
runner.py    at each new block, the `run()` transactions of the due tasks (engine-level:
             the chain it works on is a small protocol; ogkit/node/chain/scheduling.py binds it
             to the node)
"""

from ogkit.workflows.runner import PendingBlock, RunLedger, ScheduledRun, SchedulerRunner
from ogkit.workflows.schedule import Task, decode_tasks, is_due

__all__ = [
    "PendingBlock",
    "RunLedger",
    "ScheduledRun",
    "SchedulerRunner",
    "Task",
    "decode_tasks",
    "is_due",
]
