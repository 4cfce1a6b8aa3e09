"""In-process `eth_estimateGas` with geth's search (ogkit/chain/gas_search.py): the least
gas limit that succeeds, found in ~3 executions instead of py-evm's ~12, exact where the
run at the cap tells the need, within 0.1% where the 63/64 rule hides it."""

from __future__ import annotations

import pytest
from eth.estimators.gas import binary_gas_search_exact
from eth_tester.exceptions import TransactionFailed

from ogkit.chain import gas_search, new_tester

STORE_ONE = bytes([0x60, 0x01, 0x60, 0x00, 0x55, 0x00])  # slot 0 := 1
REVERTS = bytes([0x60, 0x00, 0x80, 0xFD])  # revert(0, 0)


def caller_of(callee: str) -> bytes:
    """CALL `callee` with all gas left (63/64 of it arrives), revert if that call failed."""
    head = bytes([0x60, 0x00] * 5) + b"\x73" + bytes.fromhex(callee[2:])
    return head + bytes([0x5A, 0xF1, 0x60, 40, 0x57, 0x60, 0x00, 0x80, 0xFD, 0x5B, 0x00])


@pytest.fixture(scope="module")
def tester():
    return new_tester()


def send(tester, to: str | None, gas: int, data: bytes = b"") -> dict:
    tx = {"from": tester.get_accounts()[0], "gas": gas, "data": "0x" + data.hex()}
    if to is not None:
        tx["to"] = to
    return tester.get_transaction_receipt(tester.send_transaction(tx))


def deploy(tester, runtime: bytes) -> str:
    init = bytes([0x60, len(runtime), 0x80, 0x60, 11, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + runtime
    return send(tester, None, 500_000, init)["contract_address"]


@pytest.fixture
def runs(monkeypatch) -> list[int]:
    """The gas limit of every execution the estimate makes."""
    seen: list[int] = []
    original = gas_search._run

    def counting(state, transaction, gas):  # noqa: ANN001, ANN202
        seen.append(gas)
        return original(state, transaction, gas)

    monkeypatch.setattr(gas_search, "_run", counting)
    return seen


def estimate(tester, to: str) -> int:
    return tester.estimate_gas({"from": tester.get_accounts()[0], "to": to, "data": "0x"})


def test_a_transfer_is_its_intrinsic_gas_in_one_run(tester, runs) -> None:
    assert estimate(tester, "0x000000000000000000000000000000000000dEaD") == 21_000
    assert runs == [21_000]


def test_a_storage_write_is_exact_in_three_runs(tester, runs) -> None:
    store = deploy(tester, STORE_ONE)
    runs.clear()
    needed = 21_000 + 3 + 3 + 22_100  # two PUSH1 and a cold SSTORE from zero
    assert estimate(tester, store) == needed
    assert len(runs) == 3 and runs[-1] == needed  # intrinsic, the cap, then the need
    assert send(tester, store, needed - 1)["status"] == 0
    assert send(tester, store, needed)["status"] == 1


def test_a_call_that_needs_more_than_it_uses_is_found_within_a_thousandth(
    tester, runs, monkeypatch
) -> None:
    store = deploy(tester, STORE_ONE)
    outer = deploy(tester, caller_of(store))
    runs.clear()
    found = estimate(tester, outer)
    assert 3 < len(runs) < 20  # the need at the cap failed: bisection above it
    monkeypatch.setattr(tester.backend.chain, "gas_estimator", binary_gas_search_exact)
    least = estimate(tester, outer)  # py-evm's exact search (~25 runs) as the reference
    assert least <= found <= least + least // 1000
    assert send(tester, outer, least - 1)["status"] == 0
    assert send(tester, outer, found)["status"] == 1


def test_a_contract_that_always_reverts_is_an_error(tester) -> None:
    reverts = deploy(tester, REVERTS)
    with pytest.raises(TransactionFailed):
        estimate(tester, reverts)


@pytest.mark.parametrize(
    ("used", "threshold", "expected"),
    [
        (50_000, 50_000, 50_000),  # the use at the cap is the need: one try
        (49_000, 50_000, 50_000),  # a little more (refunds, 63/64): the 64/63 guess, bisection
        (40_000, 5_000_000, 5_000_000),  # far more: bisection up to the cap
        (29_900_000, 29_999_000, 30_000_000),  # the guess is past the cap: the cap
    ],
)
def test_the_search_finds_the_least_passing_limit(used: int, threshold: int, expected: int):
    """A limit passes from `threshold` on: the answer is at most a thousandth above it."""
    cap = 30_000_000
    found = gas_search.least_passing_gas(lambda gas: gas >= threshold, used, cap)
    assert expected <= found <= min(cap, expected + expected // 1000)


def test_a_revert_to_genesis_keeps_geths_search() -> None:
    """Reverting to block 0 builds a new chain object: it keeps the estimator."""
    tester = new_tester()
    genesis = tester.take_snapshot()
    tester.mine_blocks(1)
    tester.revert_to_snapshot(genesis)
    assert tester.backend.chain.gas_estimator is gas_search.estimate_gas
