"""With a block time (`ogkit node --block-time 1`), the block-time thread's blocks carry the
scheduled runs: nothing but the clock makes them happen."""

from __future__ import annotations

import time

from eth_account import Account
from node_support import DEV_KEYS, NodeProcess, deploy, web3_artifact
from store_support import UPSTREAM_STYLE_CID
from web3 import Web3

from ogkit.chain.genesis import SCHEDULER_SYSTEM_KEY, TASK_SCHEDULER_ADDRESS
from ogkit.contracts import load

SYSTEM_ACCOUNT = Account.from_key(SCHEDULER_SYSTEM_KEY).address
FREQUENCY = 2


def test_block_time_thread_runs_due_tasks(tmp_path, model_store, project):
    node = NodeProcess(tmp_path, "--block-time", "1", store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        runner = deploy(
            w3, DEV_KEYS[0], *web3_artifact(project, "ScheduledDemoRunner"), UPSTREAM_STYLE_CID
        )
        scheduler = w3.eth.contract(address=TASK_SCHEDULER_ADDRESS, abi=load("TaskScheduler").abi)
        account = Account.from_key(DEV_KEYS[0])
        tx = scheduler.functions.registerTask(
            runner.address, w3.eth.get_block("latest").timestamp + 3600, FREQUENCY
        ).build_transaction(
            {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
        )
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction), timeout=60
        )
        deadline = time.monotonic() + 60
        while runner.functions.runCount().call() < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        count = runner.functions.runCount().call()
        assert count >= 3
        times = [runner.functions.runTimes(i).call() for i in range(count)]
        assert all(b - a >= FREQUENCY for a, b in zip(times, times[1:], strict=False))
        # every run is a transaction of the system account, in a block of the run's time
        blocks = [w3.eth.get_block(n, True) for n in range(w3.eth.block_number + 1)]
        run_blocks = [
            b.timestamp
            for b in blocks
            for t in b.transactions
            if t["from"] == SYSTEM_ACCOUNT and t["to"] == runner.address
        ]
        assert run_blocks[:count] == times
    finally:
        node.stop()
