"""The TaskScheduler at its alpha address from genesis on `opengradient:local`: tasks are
registered, listed, updated and stopped with the published events; bad input reverts with a
readable reason. (That the node then runs them: test_workflow_runner.py.)"""

from __future__ import annotations

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak
from store_support import UPSTREAM_STYLE_CID

HOUR = 3600


@pytest.fixture(scope="module")
def executor(project, accounts):
    return accounts[0].deploy(project.ScheduledDemoRunner, UPSTREAM_STYLE_CID)


@pytest.fixture(scope="module")
def other_executor(project, accounts):
    return accounts[1].deploy(project.ScheduledDemoRunner, UPSTREAM_STYLE_CID)


def task_id(address: str) -> bytes:
    return keccak(encode(["address"], [address]))


def now(chain) -> int:
    return chain.blocks.head.timestamp


def test_register_lists_the_task_and_emits(scheduler, executor, accounts, chain):
    end = now(chain) + 24 * HOUR
    receipt = scheduler.registerTask(executor, end, HOUR, sender=accounts[0])

    (event,) = receipt.decode_logs()
    assert event.event_name == "TaskRegistered"
    assert (event.user, event.contractAddress, event.endTime, event.frequency) == (
        accounts[0].address,
        executor.address,
        end,
        HOUR,
    )
    log = receipt.logs[0]
    assert log["topics"][0].hex().removeprefix("0x") == (
        "2f401f04107164177693d79d92457c4baa184a9b5a5265d3e6d4ab0ab6716724"
    )
    task = (accounts[0].address, executor.address, end, HOUR)
    assert [tuple(t) for t in scheduler.getAllTasks()] == [task]
    assert scheduler.taskIds(0) == task_id(executor.address)
    assert tuple(scheduler.tasks(task_id(executor.address))) == task


def test_update_and_stop(scheduler, executor, other_executor, accounts, chain):
    end = now(chain) + 24 * HOUR
    scheduler.registerTask(executor, end, HOUR, sender=accounts[0])
    scheduler.registerTask(other_executor, end, 60, sender=accounts[1])

    receipt = scheduler.updateTask(executor, end + HOUR, 2 * HOUR, sender=accounts[0])
    (event,) = receipt.decode_logs()
    assert event.event_name == "TaskUpdated"
    assert (event.user, event.contractAddress, event.newEndTime, event.newFrequency) == (
        accounts[0].address,
        executor.address,
        end + HOUR,
        2 * HOUR,
    )
    assert tuple(scheduler.tasks(task_id(executor.address))) == (
        accounts[0].address,
        executor.address,
        end + HOUR,
        2 * HOUR,
    )

    receipt = scheduler.stopTask(executor, sender=accounts[0])
    (event,) = receipt.decode_logs()
    assert event.event_name == "TaskStopped"
    assert (event.user, event.contractAddress) == (accounts[0].address, executor.address)
    # the other task moved into the freed slot; the stopped one is gone
    assert [tuple(t) for t in scheduler.getAllTasks()] == [
        (accounts[1].address, other_executor.address, end, 60)
    ]
    assert scheduler.taskIds(0) == task_id(other_executor.address)
    assert tuple(scheduler.tasks(task_id(executor.address))) == (
        "0x0000000000000000000000000000000000000000",
    ) * 2 + (0, 0)
    # ... and may be registered again
    scheduler.registerTask(executor, end, HOUR, sender=accounts[0])
    assert len(scheduler.getAllTasks()) == 2


def test_register_costs_little_gas(scheduler, executor, accounts, chain):
    """The SDK sends registerTask with a fixed 300,000 gas. Seven fresh storage slots are
    ~155k of it; the run() check, walking the code to the dispatcher, a few thousand."""
    receipt = scheduler.registerTask(executor, now(chain) + HOUR, 60, sender=accounts[0])
    assert receipt.gas_used < 200_000


def test_bad_input_reverts_readably(scheduler, executor, project, accounts, chain):
    end = now(chain) + HOUR
    no_run = accounts[0].deploy(project.NotAnExecutor)
    with ape.reverts("TaskScheduler: contract has no code"):
        scheduler.registerTask(accounts[5].address, end, 60, sender=accounts[0])
    with ape.reverts("TaskScheduler: contract does not implement run()"):
        scheduler.registerTask(no_run, end, 60, sender=accounts[0])
    with ape.reverts("TaskScheduler: frequency must be greater than zero"):
        scheduler.registerTask(executor, end, 0, sender=accounts[0])
    with ape.reverts("TaskScheduler: endTime is not in the future"):
        scheduler.registerTask(executor, now(chain) - 1, 60, sender=accounts[0])
    with ape.reverts("TaskScheduler: no task for this contract"):
        scheduler.stopTask(executor, sender=accounts[0])
    with ape.reverts("TaskScheduler: no task for this contract"):
        scheduler.updateTask(executor, end, 60, sender=accounts[0])

    scheduler.registerTask(executor, end, 60, sender=accounts[0])
    with ape.reverts("TaskScheduler: task already registered for this contract"):
        scheduler.registerTask(executor, end, 60, sender=accounts[1])
    with ape.reverts("TaskScheduler: caller is not the task owner"):
        scheduler.stopTask(executor, sender=accounts[1])
    with ape.reverts("TaskScheduler: caller is not the task owner"):
        scheduler.updateTask(executor, end, 60, sender=accounts[1])
    with ape.reverts("TaskScheduler: frequency must be greater than zero"):
        scheduler.updateTask(executor, end, 0, sender=accounts[0])
    with ape.reverts("TaskScheduler: endTime is not in the future"):
        scheduler.updateTask(executor, 1, 60, sender=accounts[0])


def test_run_check_skips_push_data(scheduler, accounts, chain):
    """0xc0406226 as PUSH data (here inside a PUSH32 constant), not as a PUSH4 instruction,
    does not count as implementing run()."""
    from node_support import compile_solidity

    source = """
    pragma solidity ^0.8.18;
    contract Impostor {
        function word() external pure returns (bytes32) {
            return 0x0063c040622600000000000000000000000000000000000000000000000000ff;
        }
    }
    """
    abi, bytecode = compile_solidity(source)["Impostor"]
    assert "63c0406226" in bytecode
    contract = accounts[0].deploy(_container(abi, bytecode))
    with ape.reverts("TaskScheduler: contract does not implement run()"):
        scheduler.registerTask(contract, now(chain) + HOUR, 60, sender=accounts[0])


def _container(abi, bytecode):
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    return ContractContainer(
        ContractType.model_validate(
            {"contractName": "Impostor", "abi": abi, "deploymentBytecode": {"bytecode": bytecode}}
        )
    )
