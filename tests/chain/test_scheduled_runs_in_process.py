"""The in-process chain of `opengradient:local` runs scheduled tasks like `ogkit node`
(test_workflow_runner.py): due tasks' `run()` go first into each new block, from the
scheduler's system account, also with Ape's time travel; snapshots undo them."""

from __future__ import annotations

import pytest
from eth_keys import keys
from store_support import UPSTREAM_STYLE_CID

from ogkit.chain.genesis import SCHEDULER_SYSTEM_KEY

HOUR = 3600
SYSTEM_ACCOUNT = keys.PrivateKey(SCHEDULER_SYSTEM_KEY).public_key.to_checksum_address()


@pytest.fixture
def runner(project, accounts, model_store):
    return accounts[0].deploy(project.ScheduledDemoRunner, UPSTREAM_STYLE_CID)


def outputs(runner) -> list[tuple]:
    # `history` is also Ape's account-history attribute, so call the view by name
    history = runner.call_view_method("history")
    return [tuple(tuple(v) for v in o.numbers[0].values) for o in history]


def test_runs_on_schedule_with_time_travel(scheduler, runner, accounts, chain):
    start = chain.blocks.head.timestamp
    scheduler.registerTask(runner, start + 10 * HOUR, HOUR, sender=accounts[0])
    assert runner.runCount() == 0

    chain.mine()  # the first run: at once
    block = chain.blocks.head
    assert [tx.sender for tx in block.transactions] == [SYSTEM_ACCOUNT]
    assert runner.runCount() == 1 and runner.lastCaller() == SYSTEM_ACCOUNT
    first = runner.runTimes(0)
    assert first == block.timestamp

    chain.mine()  # not due yet
    assert runner.runCount() == 1
    chain.pending_timestamp = first + HOUR
    chain.mine()
    assert runner.runCount() == 2
    assert runner.runTimes(1) == first + HOUR == chain.blocks.head.timestamp

    # a transaction arriving while a run is due: the run is sealed in the block before
    chain.pending_timestamp = chain.blocks.head.timestamp + HOUR
    receipt = scheduler.stopTask(runner, sender=accounts[0])
    assert [tx.sender for tx in chain.blocks[receipt.block_number - 1].transactions] == [
        SYSTEM_ACCOUNT
    ]
    assert len(chain.blocks[receipt.block_number].transactions) == 1
    assert runner.runCount() == 3
    assert outputs(runner) == [((175, 2),), ((375, 2),), ((575, 2),)]

    chain.pending_timestamp = chain.blocks.head.timestamp + 5 * HOUR
    chain.mine()
    assert runner.runCount() == 3  # stopped


def test_a_restored_snapshot_undoes_a_run(scheduler, runner, accounts, chain):
    scheduler.registerTask(runner, chain.blocks.head.timestamp + HOUR, HOUR, sender=accounts[0])
    snapshot = chain.snapshot()
    chain.mine()
    assert runner.runCount() == 1
    chain.restore(snapshot)
    assert runner.runCount() == 0
    chain.mine()  # the undone run does not count: due again
    assert runner.runCount() == 1
