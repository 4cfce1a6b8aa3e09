"""OGHistorical (0xF5) calldata: the codec agrees with eth-abi and the selectors are the
published ones; mutated, random and well-formed fuzzed calldata never lets an exception
escape, in Python and through py-evm (the adapter and the chain agree)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from price_feed_support import (
    INFER_SELECTOR,
    QUERY,
    QUERY_SELECTOR,
    context,
    infer_calldata,
    query_calldata,
    reason_of,
)

from precompiles import limits
from precompiles.historical.codec import (
    decode_query_historical_candles,
    decode_run_inference_on_price_feed,
    encode_numbers,
)
from precompiles.historical.precompile import run
from precompiles.host import PrecompileResult

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=1500)


# --- fuzzing: no exception escapes ---------------------------------------------------------------


def check(result: PrecompileResult) -> None:
    assert isinstance(result, PrecompileResult)
    if result.reverted:
        reason = reason_of(result)
        assert reason.startswith("OGHistorical: ") and "internal error" not in reason, reason


SEEDS = [
    query_calldata(),
    query_calldata(order=1, types=[4, 0]),
    infer_calldata("volatility", "open_high_low_close"),
]


@FUZZ
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
)
def test_fuzz_mutated_calldata(feed, engine, seed: bytes, flips) -> None:
    data = bytearray(seed)
    for at, byte in flips:
        if at < len(data):
            data[at] = byte
    check(run(bytes(data), context(), feed, engine))


@FUZZ
@given(st.sampled_from([QUERY_SELECTOR, INFER_SELECTOR]), st.binary(max_size=600))
def test_fuzz_random_calldata(feed, engine, selector: bytes, body: bytes) -> None:
    check(run(selector + body, context(), feed, engine))


@FUZZ
@given(
    st.text(max_size=8),
    st.text(max_size=8),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 255),
    st.lists(st.integers(0, 255), max_size=20),
)
def test_fuzz_well_formed_queries(feed, engine, base, quote, total, duration, order, types) -> None:
    data = QUERY_SELECTOR + encode([QUERY], [(base, quote, total, duration, order, types)])
    check(run(data, context(), feed, engine))
    if len(types) <= limits.MAX_CANDLE_TYPES:  # the codec agrees with eth-abi
        q = decode_query_historical_candles(data[4:], limits.MAX_CANDLE_TYPES)
        assert (q.base, q.quote, q.total_candles, q.candle_duration_in_mins, q.order) == (
            base,
            quote,
            total,
            duration,
            order,
        )
        assert q.candle_types == tuple(types)


@given(
    st.lists(
        st.tuples(st.integers(-(2**127), 2**127 - 1), st.integers(-(2**127), 2**127 - 1)),
        max_size=20,
    )
)
def test_encode_numbers_is_eth_abi(values) -> None:
    assert encode_numbers(values) == encode(["(int128,int128)[]"], [values])


def test_decode_inference_arguments() -> None:
    data = infer_calldata("m", "in", base="SOL", types=[1, 4])
    model_id, input_name, q = decode_run_inference_on_price_feed(data[4:], 16)
    assert (model_id, input_name, q.pair, q.candle_types) == ("m", "in", "SOL/USD", (1, 4))


def test_selectors_are_the_published_ones() -> None:
    sig = "(string,string,uint32,uint32,uint8,uint8[])"
    assert keccak(text=f"queryHistoricalCandles({sig})")[:4] == QUERY_SELECTOR
    assert keccak(text=f"runInferenceOnPriceFeed(string,string,{sig})")[:4] == INFER_SELECTOR


# --- through py-evm: the adapter and the chain agree, nothing escapes ---------------------------


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(
    st.one_of(
        st.sampled_from(SEEDS),
        st.binary(max_size=300).map(lambda b: QUERY_SELECTOR + b),
        st.binary(max_size=300).map(lambda b: INFER_SELECTOR + b),
    )
)
def test_fuzz_on_chain(tester, data: bytes) -> None:
    from eth_tester.exceptions import TransactionFailed

    account = tester.get_accounts()[0]
    call = {"from": account, "to": "0x" + "00" * 19 + "f5", "data": "0x" + data.hex()}
    try:
        output = tester.call({**call, "gas": 5_000_000})
    except TransactionFailed as exc:
        assert str(exc).startswith("OGHistorical: "), exc
        assert "internal error" not in str(exc)
    else:
        assert isinstance(output, str | bytes)
