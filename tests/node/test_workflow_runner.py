"""`ogkit node` runs registered workflows on their schedule, in blocks: a task registered with
the TaskScheduler at its alpha address gets its `run()` called by the node's system account
in the first block due (first at once, then every `frequency` seconds of block time, never
after `endTime`), with time travel (`evm_mine` with a timestamp, `evm_increaseTime`), across
restarts and undone by `evm_revert`. The contract calls 0xF4 each run; its history is read
back and compared with onnxruntime."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from eth_account import Account
from node_support import DEV_KEYS, NodeProcess, deploy, transact, web3_artifact
from store_support import UPSTREAM_STYLE_CID
from web3 import Web3
from web3.exceptions import ContractLogicError

from ogkit.chain.genesis import (
    INFERENCE_HUB_ADDRESS,
    SCHEDULER_SYSTEM_KEY,
    TASK_SCHEDULER_ADDRESS,
)
from ogkit.contracts import load
from precompiles.fixed_point import from_array

HOUR = 3600
SYSTEM_ACCOUNT = Account.from_key(SCHEDULER_SYSTEM_KEY).address
OWNER = Account.from_key(DEV_KEYS[0]).address


@pytest.fixture(scope="module")
def runner_artifact(project):
    return web3_artifact(project, "ScheduledDemoRunner")


@pytest.fixture(scope="module")
def scheduler(w3):
    return w3.eth.contract(address=TASK_SCHEDULER_ADDRESS, abi=load("TaskScheduler").abi)


def expected_output(model_store, n: int) -> tuple:
    """Run n's ModelOutput (input [n, 1]) as onnxruntime computes it."""
    session = ort.InferenceSession(
        model_store.read(model_store.resolve(UPSTREAM_STYLE_CID)),
        providers=["CPUExecutionProvider"],
    )
    (out,) = session.run(["output"], {"input": np.array([n, 1], dtype=np.float32)})
    return ([("output", [tuple(x) for x in from_array(out)], [1])], [], [], False)


def as_lists(output) -> tuple:
    numbers, strings, jsons, simulated = output
    return (
        [(name, [tuple(v) for v in values], list(shape)) for name, values, shape in numbers],
        list(strings),
        list(jsons),
        simulated,
    )


def head_time(w3) -> int:
    return w3.eth.get_block("latest")["timestamp"]


def mine_at(node, timestamp: int) -> dict:
    node.rpc("evm_mine", timestamp)
    return node.rpc("eth_getBlockByNumber", "latest", True)


def runs_in(block: dict) -> list[dict]:
    return [tx for tx in block["transactions"] if tx["from"].lower() == SYSTEM_ACCOUNT.lower()]


def test_hub_and_scheduler_code_from_genesis(w3):
    assert w3.eth.get_code(INFERENCE_HUB_ADDRESS) == load("InferenceHub").runtime
    assert w3.eth.get_code(TASK_SCHEDULER_ADDRESS) == load("TaskScheduler").runtime
    assert w3.eth.get_balance(SYSTEM_ACCOUNT) > 0


def test_registered_task_runs_on_schedule_until_stopped(
    w3, node, scheduler, runner_artifact, model_store
):
    runner = deploy(w3, DEV_KEYS[0], *runner_artifact, UPSTREAM_STYLE_CID)
    start = head_time(w3)
    receipt = transact(
        w3, DEV_KEYS[0], scheduler.functions.registerTask(runner.address, start + 10 * HOUR, HOUR)
    )
    assert receipt.status == 1
    assert runner.functions.runCount().call() == 0  # runs come in the blocks after

    t1 = head_time(w3) + 5
    block = mine_at(node, t1)  # first run: at once
    (run_tx,) = runs_in(block)
    assert run_tx["to"] == runner.address.lower() and run_tx["input"] == "0xc0406226"
    assert w3.eth.get_transaction_receipt(run_tx["hash"]).status == 1
    assert runs_in(mine_at(node, t1 + HOUR - 1)) == []  # not due yet
    assert len(runs_in(mine_at(node, t1 + HOUR))) == 1
    assert runs_in(mine_at(node, t1 + HOUR + 600)) == []
    node.rpc("evm_increaseTime", 2 * HOUR)  # time travel, then any block
    node.rpc("evm_mine")
    assert runner.functions.runCount().call() == 3

    history = [as_lists(o) for o in runner.functions.history().call()]
    assert history == [expected_output(model_store, n) for n in (1, 2, 3)]
    assert history[2][0] == [("output", [(575, 2)], [1])]  # 2 * 3 - 0.5 + 0.25
    times = [runner.functions.runTimes(i).call() for i in range(3)]
    assert times[:2] == [t1, t1 + HOUR] and times[2] >= t1 + 3 * HOUR
    assert runner.functions.lastCaller().call() == SYSTEM_ACCOUNT
    assert as_lists(runner.functions.getInferenceResult().call()) == history[2]

    transact(w3, DEV_KEYS[0], scheduler.functions.stopTask(runner.address))
    assert scheduler.functions.getAllTasks().call() == []
    node.rpc("evm_increaseTime", 5 * HOUR)
    node.rpc("evm_mine")
    assert runner.functions.runCount().call() == 3


def test_end_time_and_update(w3, node, scheduler, runner_artifact):
    runner = deploy(w3, DEV_KEYS[1], *runner_artifact, UPSTREAM_STYLE_CID)
    t0 = head_time(w3) + 10
    end = t0 + 2 * HOUR + 1800
    transact(w3, DEV_KEYS[1], scheduler.functions.registerTask(runner.address, end, HOUR))
    for offset in (0, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR):
        mine_at(node, t0 + offset)
    assert runner.functions.runCount().call() == 3  # t0, t0 + 1h, t0 + 2h; 3h is past the end
    assert [runner.functions.runTimes(i).call() for i in range(3)] == [t0, t0 + HOUR, t0 + 2 * HOUR]

    # a later end and a shorter period: runs again
    now = head_time(w3)
    transact(w3, DEV_KEYS[1], scheduler.functions.updateTask(runner.address, now + 2 * HOUR, 600))
    mine_at(node, now + 100)
    mine_at(node, now + 100 + 600)
    assert runner.functions.runCount().call() == 5
    transact(w3, DEV_KEYS[1], scheduler.functions.stopTask(runner.address))


def test_due_runs_get_their_own_block_before_a_transaction(w3, node, scheduler, runner_artifact):
    """With automine, a transaction arriving while runs are due finds them sealed in the
    block before its own, and keeps the whole block gas (as Ape sends)."""
    runner = deploy(w3, DEV_KEYS[2], *runner_artifact, UPSTREAM_STYLE_CID)
    transact(
        w3,
        DEV_KEYS[2],
        scheduler.functions.registerTask(runner.address, head_time(w3) + HOUR, HOUR),
    )
    account = Account.from_key(DEV_KEYS[2])
    call = scheduler.functions.stopTask(runner.address)
    tx = call.build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address),
            "gas": w3.eth.get_block("latest").gasLimit,
        }
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1
    runs_block = w3.eth.get_block(receipt.blockNumber - 1, True)
    assert [t["from"] for t in runs_block.transactions] == [SYSTEM_ACCOUNT]
    assert runs_block.transactions[0]["to"] == runner.address
    assert len(w3.eth.get_block(receipt.blockNumber).transactions) == 1
    assert runner.functions.runCount().call() == 1


def test_revert_undoes_a_run(w3, node, scheduler, runner_artifact):
    runner = deploy(w3, DEV_KEYS[3], *runner_artifact, UPSTREAM_STYLE_CID)
    transact(
        w3,
        DEV_KEYS[3],
        scheduler.functions.registerTask(runner.address, head_time(w3) + 10 * HOUR, HOUR),
    )
    snapshot = node.rpc("evm_snapshot")
    t = head_time(w3) + 5
    mine_at(node, t)
    assert runner.functions.runCount().call() == 1
    assert node.rpc("evm_revert", snapshot) is True
    assert runner.functions.runCount().call() == 0
    mine_at(node, t + 1)  # the reverted run no longer counts: due again
    assert runner.functions.runCount().call() == 1
    transact(w3, DEV_KEYS[3], scheduler.functions.stopTask(runner.address))


def test_bad_task_reverts_with_the_reason(w3, scheduler, runner_artifact):
    runner = deploy(w3, DEV_KEYS[4], *runner_artifact, UPSTREAM_STYLE_CID)
    sender = {"from": Account.from_key(DEV_KEYS[4]).address}
    cases = [
        (OWNER, HOUR, "TaskScheduler: contract has no code"),
        (INFERENCE_HUB_ADDRESS, HOUR, "TaskScheduler: contract does not implement run()"),
        (runner.address, 0, "TaskScheduler: frequency must be greater than zero"),
    ]
    for target, frequency, reason in cases:
        with pytest.raises(
            ContractLogicError, match=reason.replace("(", r"\(").replace(")", r"\)")
        ):
            scheduler.functions.registerTask(target, head_time(w3) + HOUR, frequency).estimate_gas(
                sender
            )
    with pytest.raises(ContractLogicError, match="TaskScheduler: endTime is not in the future"):
        scheduler.functions.registerTask(runner.address, 1, HOUR).call(sender)
    with pytest.raises(ContractLogicError, match="TaskScheduler: no task for this contract"):
        scheduler.functions.stopTask(runner.address).call(sender)


def test_runs_survive_a_restart(tmp_path, model_store, project, runner_artifact):
    """The run ledger is in the node's database: after a restart a task runs when due, not
    again at once."""
    data_dir = tmp_path / "chain"
    node = NodeProcess(tmp_path, "--data-dir", str(data_dir), store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        scheduler = w3.eth.contract(address=TASK_SCHEDULER_ADDRESS, abi=load("TaskScheduler").abi)
        runner = deploy(w3, DEV_KEYS[0], *runner_artifact, UPSTREAM_STYLE_CID)
        transact(
            w3,
            DEV_KEYS[0],
            scheduler.functions.registerTask(runner.address, head_time(w3) + 10 * HOUR, HOUR),
        )
        t = head_time(w3) + 5
        mine_at(node, t)
        assert runner.functions.runCount().call() == 1
    finally:
        assert node.stop() == 0
    node = NodeProcess(tmp_path, "--data-dir", str(data_dir), store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        runner = w3.eth.contract(address=runner.address, abi=runner_artifact[0])
        mine_at(node, t + 60)
        assert runner.functions.runCount().call() == 1
        mine_at(node, t + HOUR)
        assert runner.functions.runCount().call() == 2
    finally:
        node.stop()
