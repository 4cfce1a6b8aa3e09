"""Per-token prices, quotes and upto charges (ogkit.payments.pricing), and the x402 offers
(ogkit.payments.offers): exact values."""

from __future__ import annotations

import pytest

from ogkit.payments.offers import exact_offer, upto_offer
from ogkit.payments.pricing import PriceError, PriceList, TokenPrice

PAY_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
FACILITATOR = "0x0fcE3a56f0A9ED9776bC2BAcCE5313b5b3008035"


def test_quote_covers_the_prompt_and_the_most_it_may_generate():
    price = TokenPrice(input=3, output=7)
    assert price.quote(prompt_tokens=10, max_tokens=100) == 10 * 3 + 100 * 7
    assert TokenPrice().quote(1, 1) == 10**12 + 4 * 10**12


def test_upto_charge_is_what_was_used_and_never_over_the_cap():
    price = TokenPrice(input=3, output=7)
    cap = price.quote(10, 100)
    assert price.charge(10, 42, cap) == 10 * 3 + 42 * 7
    assert price.charge(10, 0, cap) == 30  # a stream cut before any token: the prompt only
    assert price.charge(10, 500, cap) == cap


def test_prices_by_model_with_a_default():
    prices = PriceList(TokenPrice(1, 2)).with_model("tiny-llm", TokenPrice(5, 9))
    assert prices.of("tiny-llm") == TokenPrice(5, 9)
    assert prices.of("other") == TokenPrice(1, 2)


@pytest.mark.parametrize(
    ("text", "expected"), [("1:4", TokenPrice(1, 4)), (" 0 : 12 ", TokenPrice(0, 12))]
)
def test_parse(text, expected):
    assert TokenPrice.parse(text) == expected


@pytest.mark.parametrize("text", ["1", "1:2:3", "a:b", "-1:2", "1.5:2"])
def test_parse_refuses_what_is_not_a_price(text):
    with pytest.raises(PriceError, match="is not IN:OUT"):
        TokenPrice.parse(text)


def test_negative_prices_and_counts_are_refused():
    with pytest.raises(PriceError, match="must not be negative"):
        TokenPrice(-1, 0)
    with pytest.raises(PriceError, match="must not be negative: -5"):
        TokenPrice().quote(-5, 1)


def test_offers_are_those_the_sdk_pays():
    assert exact_offer(1000, PAY_TO) == {
        "scheme": "exact",
        "network": "eip155:8453",
        "amount": "1000",
        "asset": "0xFbC2051AE2265686a469421b2C5A2D5462FbF5eB",
        "payTo": PAY_TO,
        "maxTimeoutSeconds": 300,
        "extra": {"name": "OpenGradient", "version": "1"},
    }
    assert upto_offer(5000, PAY_TO, FACILITATOR, timeout_s=60) == {
        "scheme": "upto",
        "network": "eip155:8453",
        "amount": "5000",
        "asset": "0xFbC2051AE2265686a469421b2C5A2D5462FbF5eB",
        "payTo": PAY_TO,
        "maxTimeoutSeconds": 60,
        "extra": {
            "name": "OpenGradient",
            "version": "1",
            "assetTransferMethod": "permit2",
            "facilitatorAddress": FACILITATOR,
        },
    }
