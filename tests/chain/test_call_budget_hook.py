"""The deadline hook (ogkit/chain/budget.py) in the chain every host runs: a run within
`deadline()` stops inside py-evm's opcode loop, one outside is py-evm's own."""

from __future__ import annotations

import time

import pytest
from eth.vm.code_stream import CodeStream
from eth_tester.exceptions import TransactionFailed

from ogkit.chain.assembly import ChainServices
from ogkit.chain.budget import (
    CHECK_EVERY,
    DeadlineCodeStream,
    ExecutionTimeout,
    active_budget,
    deadline,
    go_duration,
)
from ogkit.chain.tester import new_tester
from ogkit.inference import InferenceEngine
from ogkit.models.store import ModelStore

LOOP_INIT = "0x625b5f565f526003601df3"
"""Deploys 0x5b5f56 (JUMPDEST; PUSH0; JUMP: forever): PUSH3 it, MSTORE, RETURN 3 bytes."""


@pytest.fixture(scope="module")
def tester(tmp_path_factory: pytest.TempPathFactory):
    services = ChainServices(InferenceEngine(ModelStore(tmp_path_factory.mktemp("models"))))
    return new_tester(services=services)


@pytest.fixture(scope="module")
def loop(tester) -> str:
    sender = tester.get_accounts()[0]
    tx_hash = tester.send_transaction({"from": sender, "data": LOOP_INIT, "gas": 100_000})
    address = tester.get_transaction_receipt(tx_hash)["contract_address"]
    assert tester.get_code(address) == "0x5b5f56"
    return address


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "5s"), (0.5, "500ms"), (0.25, "250ms"), (1.5, "1.5s"), (90, "1m30s"), (30, "30s")],
)
def test_durations_read_as_geth_prints_them(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
    assert str(ExecutionTimeout(seconds)) == f"execution aborted (timeout = {text})"


def test_deadlines_nest_and_the_earlier_wins() -> None:
    assert active_budget() is None
    with deadline(10) as outer:
        assert active_budget() is outer
        with deadline(0.1) as inner:
            assert inner is not outer and inner.at < outer.at
        with deadline(100) as later:
            assert later is outer
        with deadline(0) as none, deadline(None) as also_none:
            assert none is also_none is outer
        assert active_budget() is outer
    assert active_budget() is None


def test_a_looping_call_stops_at_its_deadline_and_the_chain_goes_on(tester, loop) -> None:
    sender = tester.get_accounts()[0]
    number = tester.get_block_by_number("latest")["number"]
    began = time.monotonic()
    with pytest.raises(ExecutionTimeout, match=r"^execution aborted \(timeout = 300ms\)$"):
        with deadline(0.3):
            tester.call({"from": sender, "to": loop, "gas": 30_000_000})
    assert 0.3 <= time.monotonic() - began < 1.5
    assert tester.get_block_by_number("latest")["number"] == number
    # the same loop without a deadline runs out of gas, as py-evm always did
    with pytest.raises(TransactionFailed, match="^Out of gas: Needed 8 - Remaining 1 - "):
        tester.call({"from": sender, "to": loop, "gas": 50_000})


def test_a_code_stream_reads_the_clock_every_check_every_opcodes() -> None:
    code = b"\x5b" * (3 * CHECK_EVERY)  # JUMPDESTs: a stream to iterate, nothing runs
    with deadline(60) as budget:
        # the same opcodes as py-evm's stream, its closing STOP included
        assert list(DeadlineCodeStream(code, budget)) == list(CodeStream(code))
    seen = 0
    with pytest.raises(ExecutionTimeout):
        for _ in DeadlineCodeStream(code, _expired()):
            seen += 1
    assert seen == CHECK_EVERY - 1


def _expired():
    with deadline(0.001) as budget:
        time.sleep(0.002)
    return budget
