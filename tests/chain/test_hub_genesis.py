"""The hub and the scheduler are in the genesis of `ogkit.chain.new_tester` too (the
eth-tester chain for scripts outside Ape), also after `reset_to_genesis`, and the genesis
contracts add no accounts. (Ape's provider: test_inference_hub.py; the node:
test_workflow_runner.py.)"""

from __future__ import annotations

from eth_keys import keys

from ogkit.chain import new_tester
from ogkit.chain.genesis import (
    INFERENCE_HUB_ADDRESS,
    SCHEDULER_SYSTEM_BALANCE,
    SCHEDULER_SYSTEM_KEY,
    TASK_SCHEDULER_ADDRESS,
)
from ogkit.contracts import load
from ogkit.inference import InferenceEngine

SYSTEM_ACCOUNT = keys.PrivateKey(SCHEDULER_SYSTEM_KEY).public_key.to_checksum_address()


def _check(tester) -> None:
    assert bytes.fromhex(tester.get_code(INFERENCE_HUB_ADDRESS)[2:]) == load("InferenceHub").runtime
    assert (
        bytes.fromhex(tester.get_code(TASK_SCHEDULER_ADDRESS)[2:]) == load("TaskScheduler").runtime
    )
    assert tester.get_nonce(INFERENCE_HUB_ADDRESS) == 1
    assert tester.get_balance(SYSTEM_ACCOUNT) == SCHEDULER_SYSTEM_BALANCE
    assert len(tester.get_accounts()) == 10
    assert SYSTEM_ACCOUNT not in tester.get_accounts()


def test_genesis_contracts_in_the_tester_chain(model_store):
    tester = new_tester(InferenceEngine(model_store))
    _check(tester)
    tester.reset_to_genesis()
    _check(tester)
