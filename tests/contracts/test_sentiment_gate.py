"""SentimentGate on the `opengradient:local` chain: a string input tensor through 0xF4.

The sentiment model sums the hand-written lexicon weights of the words (case-insensitive,
unknown words 0); the weights are multiples of 0.25, so every float32 sum below is exact and
the expected score follows from `SENTIMENT_LEXICON` alone. onnxruntime is asked as well.
"""

from __future__ import annotations

from decimal import Decimal

import ape
import numpy as np
import onnxruntime as ort
import pytest

from og_examples.models import SENTIMENT_LEXICON
from precompiles.fixed_point import decimal_to_number, from_array

CASES = {
    # the model's sample: bullish 2.0 + strong 1.25 + breakout 1.5
    "sample": (["ETH", "looks", "bullish", "after", "a", "strong", "breakout"], (475, 2)),
    "mixed-case-repeats": (["GOOD", "good", "Great", "moon", "scam"], (45, 1)),
    "negative": (["rug", "pull", "Panic", "SELL", "down"], (-625, 2)),
    "cancels-to-zero": (["up", "down", "gain", "loss"], (0, 0)),
    "no-known-word": (["", "bullish!", "Bullish\U0001f680", "über"], (0, 0)),
    "single-word": (["excellent"], (3, 0)),
}


def lexicon_score(words: list[str]) -> tuple[int, int]:
    total = sum((Decimal(str(SENTIMENT_LEXICON.get(w.lower(), 0.0))) for w in words), Decimal(0))
    return decimal_to_number(str(total))


@pytest.fixture(scope="module")
def gate(project, accounts, model_store):
    return accounts[0].deploy(project.SentimentGate, "sentiment")


@pytest.fixture(scope="module")
def ort_score(model_store):
    data = model_store.read(model_store.resolve("sentiment"))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])

    def run(words: list[str]) -> tuple[int, int]:
        (score,) = session.run(["score"], {"text": np.array(words, dtype=object)})
        (number,) = from_array(score)
        return number

    return run


@pytest.mark.parametrize("case", sorted(CASES))
def test_exact_score(case, gate, accounts, ort_score):
    words, expected = CASES[case]
    assert lexicon_score(words) == expected
    assert ort_score(words) == expected
    user = accounts[6]

    receipt = gate.submit(words, sender=user)

    value, decimals, positive, at = gate.verdicts(user)
    assert (value, decimals) == expected
    assert positive is (expected[0] > 0)
    assert gate.isPositive(user) is positive
    assert at == receipt.timestamp

    inference, recorded = receipt.decode_logs()
    assert tuple(inference.request) == (0, "sentiment", ((), (("text", tuple(words)),)))
    assert tuple(inference.response) == ((("score", (expected,), (1,)),), (), (), False)
    assert recorded.event_name == "SentimentRecorded"
    assert recorded.account == user
    assert (recorded.scoreValue, recorded.scoreDecimals, recorded.positive) == (
        *expected,
        positive,
    )


def test_verdicts_are_per_account(gate, accounts):
    bob, carol = accounts[7], accounts[8]
    gate.submit(["good", "morning"], sender=bob)
    gate.submit(["bad", "news"], sender=carol)
    assert gate.isPositive(bob) is True
    assert gate.isPositive(carol) is False
    assert tuple(gate.verdicts(bob))[:3] == (15, 1, True)
    assert tuple(gate.verdicts(carol))[:3] == (-15, 1, False)
    # a later submission replaces the account's verdict
    gate.submit(["terrible"], sender=bob)
    assert tuple(gate.verdicts(bob))[:3] == (-3, 0, False)


def test_empty_text_is_rejected_before_inference(gate, accounts, chain):
    runs = chain.provider.inference_engine.model_runs
    with ape.reverts(gate.EmptyText):
        gate.submit([], sender=accounts[6])
    assert chain.provider.inference_engine.model_runs == runs


def test_inference_mode_is_owner_only(gate, accounts):
    with ape.reverts(gate.NotOwner):
        gate.setInferenceMode(1, sender=accounts[6])
    receipt = gate.setInferenceMode(1, sender=accounts[0])
    assert receipt.events[0].mode == 1
    receipt = gate.submit(["safe", "growth"], sender=accounts[6])
    inference = receipt.decode_logs()[0]
    assert inference.request[0] == 1
    assert tuple(gate.verdicts(accounts[6]))[:2] == (225, 2)
