"""OGHistorical (0xF5) in Python, without a chain: queryHistoricalCandles' layout and gas, only
closed candles served, runInferenceOnPriceFeed against onnxruntime, every bad query or request
reverting with its reason, out of gas, and the data node's signed records of what it served.
(The Ape tests in tests/chain/test_price_feed_chain.py call it from Solidity.)
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import onnxruntime as ort
import pytest
from eth_abi import decode, encode
from price_feed_support import (
    AFTER_ALL,
    HOUR,
    INFER_SELECTOR,
    OHLC,
    QUERY_SELECTOR,
    ROWS,
    SENDER,
    context,
    infer_calldata,
    query_calldata,
    reason_of,
)

from ogkit.pricefeed import record_digest, recover_signer
from precompiles import gas
from precompiles.fixed_point import from_array
from precompiles.historical.precompile import layout, run
from precompiles.historical.types import CandleType
from precompiles.host import CallContext, Candle
from precompiles.inference.types import ModelInferenceMode

OUTPUT = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"


def number(text: str) -> tuple[int, int]:
    sign, digits, exponent = Decimal(text).normalize().as_tuple()
    value = int("".join(map(str, digits))) * (-1 if sign else 1)
    return (value * 10**exponent, 0) if exponent >= 0 else (value, -exponent)


COLUMN = {
    CandleType.Open: 0,
    CandleType.High: 1,
    CandleType.Low: 2,
    CandleType.Close: 3,
    CandleType.Volume: 4,
}


def expected(rows, types) -> list[tuple[int, int]]:
    return [number(row[COLUMN[CandleType(t)]]) for row in rows for t in types]


# --- queryHistoricalCandles ----------------------------------------------------------------------


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("types", [OHLC, [4], [3, 3, 0]])
def test_query_layout_and_gas(feed, engine, order, types) -> None:
    result = run(query_calldata(order=order, types=types), context(), feed, engine)
    assert not result.reverted, result.reason
    (values,) = decode(["(int128,int128)[]"], result.output)
    rows = ROWS[-10:] if order == 0 else ROWS[-10:][::-1]
    assert [tuple(v) for v in values] == expected(rows, types)
    assert result.output == encode(["(int128,int128)[]"], [expected(rows, types)])
    assert result.gas_used == gas.HISTORICAL_BASE + gas.PER_CANDLE_VALUE * 10 * len(types)
    assert result.logs == []


def test_only_candles_closed_by_the_block_are_served(feed, engine) -> None:
    # One second before the 12th candle closes, the latest closed one is the 11th.
    result = run(query_calldata(total=3, types=[3]), context(AFTER_ALL - 1), feed, engine)
    (values,) = decode(["(int128,int128)[]"], result.output)
    assert [tuple(v) for v in values] == expected(ROWS[8:11], [3])
    # Long after, the extra candle (opened at AFTER_ALL) has closed too.
    later = run(query_calldata(total=1, types=[3]), context(AFTER_ALL + HOUR), feed, engine)
    assert decode(["(int128,int128)[]"], later.output)[0] == ((3005, 0),)


@pytest.mark.parametrize(
    ("calldata", "reason"),
    [
        (
            query_calldata(base="DOGE"),
            "OGHistorical: unknown pair DOGE/USD; known: BTC/USD, ETH/USD",
        ),
        (query_calldata(types=[2, 5]), "OGHistorical: unknown candle type 5"),
        (query_calldata(types=[]), "OGHistorical: candle_types is empty"),
        (query_calldata(order=2), "OGHistorical: unknown candle order 2"),
        (query_calldata(total=0), "OGHistorical: total_candles 0 outside [1, 1000]"),
        (query_calldata(total=1001), "OGHistorical: total_candles 1001 outside [1, 1000]"),
        (query_calldata(duration=0), "OGHistorical: candle_duration_in_mins is 0"),
        (
            query_calldata(duration=5),
            "OGHistorical: candle duration 5m not available for ETH/USD; available: 60m",
        ),
        (
            query_calldata(total=13),
            f"OGHistorical: not enough history for ETH/USD 60m: 12 candles closed by "
            f"{AFTER_ALL}, 13 requested",
        ),
        (QUERY_SELECTOR + b"\x00" * 31, "OGHistorical: malformed calldata: calldata too short"),
        (bytes.fromhex("deadbeef"), "OGHistorical: unknown function selector 0xdeadbeef"),
        (b"", "OGHistorical: unknown function selector 0x"),
    ],
)
def test_bad_queries_revert_with_reason_and_gas(feed, engine, calldata, reason) -> None:
    result = run(calldata, context(), feed, engine)
    assert reason_of(result).startswith(reason)
    assert result.gas_used >= gas.HISTORICAL_BASE


def test_too_many_candle_types_is_malformed(feed, engine) -> None:
    result = run(query_calldata(types=[0] * 17), context(), feed, engine)
    assert reason_of(result) == (
        "OGHistorical: malformed calldata: candle_types has more than 16 entries"
    )


def test_out_of_gas_burns_the_frame(feed, engine) -> None:
    needed = gas.HISTORICAL_BASE + gas.PER_CANDLE_VALUE * 40
    assert not run(query_calldata(), context(gas_available=needed), feed, engine).reverted
    short = run(query_calldata(), context(gas_available=needed - 1), feed, engine)
    assert short.out_of_gas and short.gas_used == needed - 1


# --- runInferenceOnPriceFeed ---------------------------------------------------------------------


def test_inference_on_candles_matches_onnxruntime(feed, engine) -> None:
    ctx = context()
    result = run(infer_calldata("volatility", "open_high_low_close"), ctx, feed, engine)
    assert not result.reverted, result.reason
    ((numbers, strings, jsons, is_sim),) = decode([OUTPUT], result.output)
    candles = np.array(
        [[float(Decimal(row[c])) for c in (0, 1, 2, 3)] for row in ROWS[-10:]], dtype=np.float32
    )
    data = engine.store.read(engine.store.resolve("volatility"))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (out,) = session.run(["volatility"], {"open_high_low_close": candles})
    assert numbers == (("volatility", from_array(out), (1,)),)
    assert (strings, jsons, is_sim) == ((), (), False)
    model = engine.resolve("volatility")
    assert result.gas_used == (
        gas.BASE
        + gas.PER_CANDLE_VALUE * 40
        + gas.model_gas(model.size_bytes)
        + 50  # compute: volatility on [10, 4] (tests/unit/test_compute_gas.py pins its cost)
        + gas.PER_OUTPUT_ELEMENT * 1
    )
    assert result.logs == []  # upstream documents no 0xF5 event
    records = [r for r in engine.records.values() if r.block_number == ctx.block_number]
    assert len(records) == 1 and records[0].mode is ModelInferenceMode.VANILLA


@pytest.mark.parametrize(
    ("calldata", "reason"),
    [
        (infer_calldata("nope", "x"), "OGHistorical: model not found: nope"),
        (
            infer_calldata("volatilty", "x"),
            "OGHistorical: model not found: volatilty (did you mean 'volatility'?)",
        ),
        (
            infer_calldata("volatility", "prices"),
            "OGHistorical: unexpected input 'prices'; model inputs are ['open_high_low_close']",
        ),
        (
            infer_calldata("volatility", "open_high_low_close", total=9),
            "OGHistorical: input 'open_high_low_close' has shape [9, 4], model expects [10, 4]",
        ),
        (infer_calldata("volatility", "x", base="XRP"), "OGHistorical: unknown pair XRP/USD"),
        (INFER_SELECTOR + b"\x01", "OGHistorical: malformed calldata"),
    ],
)
def test_bad_inference_requests_revert(feed, engine, calldata, reason) -> None:
    result = run(calldata, context(), feed, engine)
    assert reason_of(result).startswith(reason)
    assert result.gas_used >= gas.BASE


# --- the data node: records and signatures -------------------------------------------------------


def test_served_results_are_signed_by_the_published_address(feed, engine) -> None:
    ctx = CallContext(SENDER, SENDER, 99, AFTER_ALL, 10_000_000)
    assert not run(query_calldata(total=5, types=[3]), ctx, feed, engine).reverted
    (record,) = feed.records(block_number=99)
    assert record.pair == "ETH/USD" and record.duration_mins == 60
    assert record.block_timestamp == AFTER_ALL
    assert [c.close for c in record.candles] == [number(r[3]) for r in ROWS[-5:]]
    assert record.digest == record_digest("ETH/USD", 60, 99, AFTER_ALL, record.candles)
    assert feed.get_record(record.digest) == record
    assert record.signer == feed.address == recover_signer(record)
    # A replay of the same block adds nothing; a tampered record no longer verifies.
    run(query_calldata(total=5, types=[3]), ctx, feed, engine)
    assert feed.records(block_number=99) == [record]
    forged = Candle(record.candles[0].open_time, 60, (1, 0), (1, 0), (1, 0), (1, 0), (1, 0))
    tampered = record.__class__(**{**record.__dict__, "candles": (forged, *record.candles[1:])})
    assert recover_signer(tampered) != feed.address


def test_reverted_queries_leave_no_record(feed, engine) -> None:
    ctx = CallContext(SENDER, SENDER, 100, AFTER_ALL, 10_000_000)
    run(query_calldata(total=13), ctx, feed, engine)
    assert feed.records(block_number=100) == []


def test_layout_rows_are_candles() -> None:
    candles = tuple(
        Candle(i * 60, 1, (i, 0), (i + 10, 0), (i + 20, 0), (i + 30, 0), (i + 40, 0))
        for i in range(3)
    )
    assert layout(candles, 0, [CandleType.Close, CandleType.Open]) == [
        (30, 0),
        (0, 0),
        (31, 0),
        (1, 0),
        (32, 0),
        (2, 0),
    ]
    assert layout(candles, 1, [CandleType.Volume]) == [(42, 0), (41, 0), (40, 0)]
