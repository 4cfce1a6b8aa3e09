"""OGHistorical (0xF5) in Python: layout, gas, reverts, fuzzing, the data node and its
signatures, without a chain (the Ape tests in test_price_feed_chain.py call it from Solidity).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogkit.pricefeed import (
    CsvFormatError,
    CsvPriceSource,
    PriceDataNode,
    SamplePriceSource,
    default_price_feed,
    record_digest,
    recover_signer,
)
from ogkit.pricefeed import sample as sample_module
from precompiles import gas, limits
from precompiles.fixed_point import from_array
from precompiles.historical.codec import (
    decode_query_historical_candles,
    decode_run_inference_on_price_feed,
    encode_numbers,
)
from precompiles.historical.precompile import layout, run
from precompiles.historical.types import CandleType
from precompiles.host import CallContext, Candle, NotEnoughHistory, PrecompileResult
from precompiles.inference.types import ModelInferenceMode

QUERY = "(string,string,uint32,uint32,uint8,uint8[])"
OUTPUT = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
QUERY_SELECTOR = bytes.fromhex("f2f08e63")
INFER_SELECTOR = bytes.fromhex("a192a0f9")
ERROR_SELECTOR = bytes.fromhex("08c379a0")
SENDER = bytes.fromhex("44" * 20)
HOUR = 3600
T0 = 1_700_000_000 - 1_700_000_000 % HOUR  # first candle's open time
OHLC = [2, 0, 1, 3]  # Open, High, Low, Close: the volatility model's column order
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=1500)

# 12 hourly ETH/USD candles (open, high, low, close, volume), plus one 30m pair and a candle
# that has not closed by `AFTER_ALL` - 1.
ROWS = [
    ("3000.5", "3012.25", "2995", "3007.75", "1234.5"),
    ("3007.75", "3020", "3001.1", "3015", "987.25"),
    ("3015", "3016.5", "2980.25", "2985.5", "1500"),
    ("2985.5", "2999.99", "2970", "2990.01", "1100.125"),
    ("2990.01", "3005", "2988", "3001", "800"),
    ("3001", "3030.75", "2999.5", "3028", "2222.2"),
    ("3028", "3040", "3020.5", "3033.3", "1800"),
    ("3033.3", "3034", "3001", "3010", "950.5"),
    ("3010", "3011", "2990.5", "2995.25", "1020"),
    ("2995.25", "3002", "2975", "2980", "1700.75"),
    ("2980", "2999", "2979.5", "2998.5", "1300"),
    ("2998.5", "3010.5", "2997", "3009.25", "1400.5"),
]
AFTER_ALL = T0 + len(ROWS) * HOUR  # the 12th candle closes exactly here


def write_csv(path: Path) -> Path:
    lines = ["pair,timestamp,duration_mins,open,high,low,close,volume"]
    for i, row in enumerate(ROWS):
        lines.append(f"ETH/USD,{T0 + i * HOUR},60,{','.join(row)}")
    lines.append(f"ETH/USD,{AFTER_ALL},60,3009.25,3011,3000,3005,10")  # closes an hour later
    lines.append(f"BTC/USD,{T0},30,65000,65100,64900,65050.5,12.5")
    path.write_text("\n".join(lines) + "\n")
    return path


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


def query_calldata(base="ETH", quote="USD", total=10, duration=60, order=0, types=OHLC) -> bytes:
    return QUERY_SELECTOR + encode([QUERY], [(base, quote, total, duration, order, types)])


def infer_calldata(model: str, input_name: str, **query) -> bytes:
    q = dict(base="ETH", quote="USD", total=10, duration=60, order=0, types=OHLC) | query
    args = (q["base"], q["quote"], q["total"], q["duration"], q["order"], q["types"])
    return INFER_SELECTOR + encode(["string", "string", QUERY], [model, input_name, args])


def context(timestamp: int = AFTER_ALL, gas_available: int = 10_000_000, static=False):
    return CallContext(SENDER, SENDER, 7, timestamp, gas_available, is_static=static)


def reason_of(result: PrecompileResult) -> str:
    assert result.reverted and result.output[:4] == ERROR_SELECTOR
    (reason,) = decode(["string"], result.output[4:])
    return reason


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> PriceDataNode:
    path = write_csv(tmp_path_factory.mktemp("csv") / "candles.csv")
    return PriceDataNode(CsvPriceSource.load(path))


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


# --- sources ---------------------------------------------------------------------------------


def test_sample_series_is_deterministic_cyclic_and_sane() -> None:
    source = SamplePriceSource()
    now = 1_790_000_000
    first = source.candles("ETH", "USD", 60, 50, now)
    assert first == SamplePriceSource().candles("ETH", "USD", 60, 50, now)
    assert all(b.open_time - a.open_time == HOUR for a, b in zip(first, first[1:], strict=False))
    assert first[-1].close_time <= now < first[-1].close_time + HOUR
    cycle = sample_module.CYCLE * HOUR
    again = source.candles("ETH", "USD", 60, 50, now + cycle)
    assert [c.open_time - cycle for c in again] == [c.open_time for c in first]
    assert [(c.open, c.high, c.low, c.close, c.volume) for c in again] == [
        (c.open, c.high, c.low, c.close, c.volume) for c in first
    ]
    for pair in sample_module.PAIRS:
        for duration in sample_module.DURATIONS_MINS:
            base, quote = pair.split("/")
            for c in source.candles(base, quote, duration, 20, now):
                o, h, lo, cl = (Decimal(v).scaleb(-d) for v, d in (c.open, c.high, c.low, c.close))
                assert 0 < lo <= min(o, cl) <= max(o, cl) <= h
    # The seam between cycles is smooth: the last close of a cycle is the first open.
    rows = sample_module._cycle("ETH/USD", 60)
    assert rows[-1][3] == rows[0][0]


def test_sample_has_no_history_before_its_epoch() -> None:
    with pytest.raises(NotEnoughHistory):
        SamplePriceSource().candles("ETH", "USD", 60, 2, sample_module.EPOCH + HOUR)


def test_default_feed_reads_the_env_csv(tmp_path, monkeypatch) -> None:
    path = write_csv(tmp_path / "env.csv")
    monkeypatch.setenv("OGKIT_PRICE_CSV", str(path))
    node = default_price_feed()
    assert node.pairs() == ["BTC/USD", "ETH/USD"]
    assert default_price_feed() is node
    monkeypatch.delenv("OGKIT_PRICE_CSV")
    assert isinstance(default_price_feed().sources[0], SamplePriceSource)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("pair,timestamp,open\n", "missing column(s) duration_mins, high, low, close, volume"),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\nETHUSD,1,60,1,1,1,1,1\n",
            ":2: pair 'ETHUSD' is not BASE/QUOTE",
        ),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\nETH/USD,1,60,1,0.5,1,1,1\n",
            ":2: needs low <= open, close <= high",
        ),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\nETH/USD,x,60,1,1,1,1,1\n",
            ":2: invalid literal",
        ),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\n"
            "ETH/USD,1,60,1,1,1,1,1\neth/usd,1,60,1,1,1,1,1\n",
            ":3: duplicate candle ETH/USD (60, 1)",
        ),
    ],
)
def test_csv_format_errors_name_the_line(tmp_path, text, error) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CsvFormatError) as info:
        CsvPriceSource.load(path)
    assert error in str(info.value)


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
