"""A user's test suite, as bench/suite.py times it: deploys, plain calls, reverts, events,
model calls and Ape's snapshot isolation between tests. Tests marked `model` call 0xF4 and
are left out on chains that have none."""

import ape
import pytest

PRICES = [(1005, 1), (10125, 2), (9975, 2), (102, 0)]


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def ledger(owner, project):
    return owner.deploy(project.Ledger)


@pytest.fixture(scope="module")
def forecaster(owner, project):
    return owner.deploy(project.Forecaster, "forecaster")


@pytest.mark.parametrize("amount", range(1, 11))
def test_deposit_emits_and_counts(ledger, owner, amount):
    receipt = ledger.deposit(amount, sender=owner)
    (event,) = receipt.decode_logs()
    assert (event.amount, event.balance) == (amount, amount)  # isolation: a fresh ledger
    assert ledger.total() == amount


def test_withdraw_more_than_deposited_reverts(ledger, owner):
    ledger.deposit(5, sender=owner)
    with ape.reverts(ledger.Insufficient):
        ledger.withdraw(6, sender=owner)


@pytest.mark.parametrize("x", range(10))
def test_calls(ledger, x):
    assert ledger.ping(x) == 2 * x


def test_require_message(ledger):
    with ape.reverts("unlucky"):
        ledger.ping(13)


def test_fresh_deploys(owner, project):
    for _ in range(3):
        assert owner.deploy(project.Ledger).total() == 0


def test_transfers(accounts):
    for i in range(1, 6):
        accounts[0].transfer(accounts[i], 10**15)
    assert accounts[5].balance > 0


@pytest.mark.model
@pytest.mark.parametrize("shift", range(5))
def test_forecast(forecaster, owner, shift):
    prices = [(v + shift, d) for v, d in PRICES]
    forecaster.forecast(prices, sender=owner)
    assert forecaster.value() > 0


@pytest.mark.model
def test_forecast_view_after_forecast(forecaster, owner):
    forecaster.forecast(PRICES, sender=owner)
    assert (forecaster.value(), forecaster.decimals()) == (102525, 3)
