"""RiskLendingPool on the `opengradient:local` chain, with the real credit_risk model at 0xF4.

Expected classes and probabilities come from onnxruntime run on the same float32 features,
converted by the SDK rule (`precompiles.fixed_point.from_array`).
"""

from __future__ import annotations

import ape
import numpy as np
import onnxruntime as ort
import pytest

from og_examples.models import sample_input
from precompiles import gas
from precompiles.fixed_point import from_array, to_array

ETH = 10**18
UNASSESSED, LOW, MEDIUM, HIGH = range(4)
FACTORS = {LOW: 8_000, MEDIUM: 6_000, HIGH: 0}

# (collateral_ratio, utilization, debt_to_income, account_age_years) as TensorLib Numbers
SAFE = ((30, 1), (1, 1), (1, 1), (10, 0))  # 3.0, 0.1, 0.1, 10 years
RISKY = ((10, 1), (100, 2), (15, 1), (0, 0))  # 1.0, 1.00, 1.5, brand new
MEDIUM_FEATURES = ((18, 1), (45, 2), (6, 1), (4, 0))  # the model's sample input


def to_wad(value: int, decimals: int) -> int:
    """ModelOutputs.toWad: exact up to 18 decimals, truncated toward zero past them."""
    if decimals <= 18:
        return value * 10 ** (18 - decimals)
    quotient = abs(value) // 10 ** (decimals - 18)
    return quotient if value >= 0 else -quotient


@pytest.fixture(scope="module")
def alice(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def bob(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def pool(project, owner, model_store):
    return owner.deploy(project.RiskLendingPool, "credit_risk")


@pytest.fixture(scope="module")
def classify(model_store):
    """onnxruntime on the features exactly as 0xF4 converts them -> (label, probabilities)."""
    data = model_store.read(model_store.resolve("credit_risk"))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])

    def run(features) -> tuple[str, tuple[tuple[int, int], ...]]:
        x = to_array(features, np.dtype(np.float32)).reshape(1, 4)
        probabilities, label = session.run(["probabilities", "label"], {"features": x})
        return str(label[0]), from_array(probabilities)

    return run


def test_expected_classes(classify):
    """The borrowers used below really are low / medium / high risk for this model."""
    assert classify(SAFE)[0] == "low"
    assert classify(RISKY)[0] == "high"
    assert classify(MEDIUM_FEATURES)[0] == "medium"
    sample = sample_input("credit_risk")["features"]
    assert np.array_equal(to_array(MEDIUM_FEATURES, np.dtype(np.float32)), sample.reshape(-1))


def test_pure_helpers(pool):
    name, values, shape = pool.featureTensor(SAFE)
    assert name == "features" and list(shape) == [1, 4]
    assert [tuple(v) for v in values] == list(SAFE)  # documented column order
    for index in range(4):
        for decimals in (19, -1):
            bad = list(SAFE)
            bad[index] = (1, decimals)
            with ape.reverts(pool.InvalidFeature, index=index, decimals=decimals):
                pool.featureTensor(tuple(bad))
    assert [pool.riskClassOf(x) for x in ("low", "medium", "high")] == [LOW, MEDIUM, HIGH]
    with ape.reverts(pool.UnknownRiskLabel, label="LOW"):
        pool.riskClassOf("LOW")
    assert [pool.factorFor(c) for c in range(4)] == [0, 8_000, 6_000, 0]


@pytest.mark.parametrize(
    ("features", "risk_class"),
    [(SAFE, LOW), (MEDIUM_FEATURES, MEDIUM), (RISKY, HIGH)],
    ids=["safe", "medium", "risky"],
)
def test_assess(features, risk_class, pool, alice, classify):
    label, probabilities = classify(features)
    assert label == ("low", "medium", "high")[risk_class - 1]
    p_high = probabilities[2]
    wad = to_wad(*p_high)

    assert pool.assess.call(features, sender=alice) is True
    receipt = pool.assess(features, sender=alice)

    account = pool.accounts(alice)
    assert account.riskClass == risk_class
    assert account.collateralFactorBps == FACTORS[risk_class]
    assert (account.highRiskProbabilityValue, account.highRiskProbabilityDecimals) == p_high
    assert account.highRiskProbabilityWad == wad
    assert account.assessedAt == receipt.timestamp
    assert (account.collateral, account.debt) == (0, 0)

    inference, assessed = receipt.decode_logs()
    assert assessed.event_name == "Assessed" and assessed.account == alice
    assert (assessed.riskClass, assessed.collateralFactorBps) == (risk_class, FACTORS[risk_class])
    assert (assessed.highRiskProbabilityValue, assessed.highRiskProbabilityDecimals) == p_high
    assert assessed.highRiskProbabilityWad == wad

    assert inference.event_name == "ModelInferenceEvent"
    assert tuple(inference.request) == (0, "credit_risk", ((("features", features, (1, 4)),), ()))
    assert tuple(inference.response) == (
        (("probabilities", probabilities, (1, 3)),),
        (("label", (label,)),),
        (),
        False,
    )


def test_safe_probability_has_more_than_18_decimals(pool, alice, classify):
    """P(high) of the safe borrower is ~1.4e-17: the precompile returns it with more than 18
    decimals, stored exactly; its wad form truncates (documented in ModelOutputs.toWad)."""
    value, decimals = classify(SAFE)[1][2]
    assert decimals > 18
    pool.assess(SAFE, sender=alice)
    account = pool.accounts(alice)
    assert (account.highRiskProbabilityValue, account.highRiskProbabilityDecimals) == (
        value,
        decimals,
    )
    assert account.highRiskProbabilityWad == value // 10 ** (decimals - 18)


def test_deposit_borrow_repay_withdraw(pool, alice):
    for fn, kwargs in [
        (pool.deposit, {"value": 0}),
        (pool.borrow, {"amount": 0}),
        (pool.withdraw, {"amount": 0}),
        (pool.repay, {"value": 0}),
    ]:
        with ape.reverts(pool.ZeroAmount):
            if "amount" in kwargs:
                fn(kwargs["amount"], sender=alice)
            else:
                fn(sender=alice, value=kwargs["value"])

    receipt = pool.deposit(sender=alice, value=10 * ETH)
    event = receipt.events[0]
    assert (event.account, event.amount, event.collateral) == (alice, 10 * ETH, 10 * ETH)
    assert pool.totalCollateral() == 10 * ETH
    with ape.reverts(pool.NotAssessed):
        pool.borrow(ETH, sender=alice)

    pool.assess(SAFE, sender=alice)
    assert pool.availableToBorrow(alice) == 8 * ETH
    with ape.reverts(pool.BorrowLimitExceeded, limit=8 * ETH, requestedDebt=8 * ETH + 1):
        pool.borrow(8 * ETH + 1, sender=alice)

    before = alice.balance
    receipt = pool.borrow(5 * ETH, sender=alice)
    assert alice.balance == before + 5 * ETH - receipt.total_fees_paid
    event = receipt.events[0]
    assert (event.account, event.amount, event.debt) == (alice, 5 * ETH, 5 * ETH)
    with ape.reverts(pool.BorrowLimitExceeded, limit=8 * ETH, requestedDebt=8 * ETH + 1):
        pool.borrow(3 * ETH + 1, sender=alice)
    pool.borrow(3 * ETH, sender=alice)
    assert pool.accounts(alice).debt == 8 * ETH
    assert pool.totalDebt() == 8 * ETH
    assert pool.availableToBorrow(alice) == 0

    # withdrawing even 1 wei would leave debt above the limit
    limit_after = (10 * ETH - 1) * 8_000 // 10_000
    with ape.reverts(pool.Undercollateralized, limitAfter=limit_after, debt=8 * ETH):
        pool.withdraw(1, sender=alice)

    before = alice.balance
    receipt = pool.repay(sender=alice, value=3 * ETH)
    assert receipt.events[0].amount == 3 * ETH and receipt.events[0].debt == 5 * ETH
    receipt = pool.repay(sender=alice, value=9 * ETH)  # 4 ETH more than the debt: refunded
    assert (receipt.events[0].amount, receipt.events[0].debt) == (5 * ETH, 0)
    assert pool.totalDebt() == 0
    with ape.reverts(pool.NoDebt):
        pool.repay(sender=alice, value=1)

    with ape.reverts(pool.InsufficientCollateral, collateral=10 * ETH, requested=10 * ETH + 1):
        pool.withdraw(10 * ETH + 1, sender=alice)
    receipt = pool.withdraw(10 * ETH, sender=alice)
    event = receipt.events[0]
    assert (event.account, event.amount, event.collateral) == (alice, 10 * ETH, 0)
    assert pool.totalCollateral() == 0
    assert pool.balance == 0


def test_risky_borrower_cannot_borrow(pool, bob):
    pool.deposit(sender=bob, value=10 * ETH)
    pool.assess(RISKY, sender=bob)
    assert pool.accounts(bob).riskClass == HIGH
    assert pool.accounts(bob).collateralFactorBps == 0
    assert pool.availableToBorrow(bob) == 0
    with ape.reverts(pool.BorrowLimitExceeded, limit=0, requestedDebt=1):
        pool.borrow(1, sender=bob)
    pool.withdraw(10 * ETH, sender=bob)  # no debt: collateral can leave


def test_reassessment_to_high_freezes_borrowing_and_withdrawals(pool, bob):
    pool.deposit(sender=bob, value=10 * ETH)
    pool.assess(SAFE, sender=bob)
    pool.borrow(ETH, sender=bob)
    pool.assess(RISKY, sender=bob)
    with ape.reverts(pool.BorrowLimitExceeded, limit=0, requestedDebt=ETH + 1):
        pool.borrow(1, sender=bob)
    with ape.reverts(pool.Undercollateralized, limitAfter=0, debt=ETH):
        pool.withdraw(1, sender=bob)
    pool.repay(sender=bob, value=ETH)
    pool.withdraw(10 * ETH, sender=bob)


def test_inference_mode_is_owner_only(pool, owner, alice, classify):
    with ape.reverts(pool.NotOwner):
        pool.setInferenceMode(2, sender=alice)
    receipt = pool.setInferenceMode(2, sender=owner)
    assert receipt.events[0].mode == 2
    receipt = pool.assess(MEDIUM_FEATURES, sender=alice)
    inference = receipt.decode_logs()[0]
    assert inference.request[0] == 2  # TEE
    assert pool.accounts(alice).highRiskProbabilityValue == classify(MEDIUM_FEATURES)[1][2][0]


def test_unknown_model_reverts(project, owner, alice):
    pool = owner.deploy(project.RiskLendingPool, "no-such-credit-model")
    reason = "OGInference: model not found: no-such-credit-model"
    with ape.reverts(reason):
        pool.assess(SAFE, sender=alice)
    receipt = pool.assess(SAFE, sender=alice, gas=2_000_000, raise_on_revert=False)
    assert receipt.failed and str(receipt.error) == reason
    assert 21_000 + gas.BASE < receipt.gas_used < 2_000_000
    assert pool.accounts(alice).riskClass == UNASSESSED
