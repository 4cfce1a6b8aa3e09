"""ABI codec for OGHistorical (0xF5): the `HistoricalInputQuery` argument and `Number[]`.

Decoding is bounded like 0xF4's (`abi.reader.AbiReader`): calldata is untrusted, offsets may
alias, and every failure is a readable `AbiDecodeError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from precompiles.abi.reader import WORD, AbiDecodeError, AbiReader
from precompiles.abi.writer import encode_int, encode_uint
from precompiles.historical.types import EarlierQuery, HistoricalInputQuery
from precompiles.inference.types import Number

HISTORICAL_INPUT_QUERY = "(string,string,uint32,uint32,uint8,uint8[])"
QUERY_HISTORICAL_CANDLES_SIGNATURE = f"queryHistoricalCandles({HISTORICAL_INPUT_QUERY})"
RUN_INFERENCE_ON_PRICE_FEED_SIGNATURE = (
    f"runInferenceOnPriceFeed(string,string,{HISTORICAL_INPUT_QUERY})"
)
EARLIER_INPUT_QUERY = "(string,uint32,uint32,uint8,uint8[])"
"""January 2025's `HistoricalInputQuery`: one `currency_pair` ("ETH/USD"), no Volume type."""
EARLIER_QUERY_HISTORICAL_CANDLES_SIGNATURE = f"queryHistoricalCandles({EARLIER_INPUT_QUERY})"
EARLIER_RUN_INFERENCE_ON_PRICE_FEED_SIGNATURE = (
    f"runInferenceOnPriceFeed(string,string,{EARLIER_INPUT_QUERY})"
)


def _query(r: AbiReader, at: int, max_types: int) -> HistoricalInputQuery:
    base = r.string(r.offset(at, at))
    quote = r.string(r.offset(at, at + WORD))
    total = r.uint(at + 2 * WORD, 32)
    duration = r.uint(at + 3 * WORD, 32)
    order = r.uint(at + 4 * WORD, 8)
    types_at = r.offset(at, at + 5 * WORD)
    if r.uint(types_at, 64) > max_types:
        raise AbiDecodeError(f"candle_types has more than {max_types} entries")
    types = r.array(types_at, lambda _b, h: r.uint(h, 8), dynamic=False)
    return HistoricalInputQuery(base, quote, total, duration, order, types)


def _earlier_query(r: AbiReader, at: int, max_types: int) -> EarlierQuery:
    pair = r.string(r.offset(at, at))
    total = r.uint(at + WORD, 32)
    duration = r.uint(at + 2 * WORD, 32)
    order = r.uint(at + 3 * WORD, 8)
    types_at = r.offset(at, at + 4 * WORD)
    if r.uint(types_at, 64) > max_types:
        raise AbiDecodeError(f"candle_types has more than {max_types} entries")
    types = r.array(types_at, lambda _b, h: r.uint(h, 8), dynamic=False)
    return EarlierQuery(pair, total, duration, order, types)


def decode_earlier_query_historical_candles(args: bytes, max_types: int) -> EarlierQuery:
    """Arguments of January 2025's `queryHistoricalCandles((string,uint32,...))`."""
    r = AbiReader(args, max_types)
    return _earlier_query(r, r.offset(0, 0), max_types)


def decode_earlier_run_inference_on_price_feed(
    args: bytes, max_types: int
) -> tuple[str, str, EarlierQuery]:
    """Arguments of January 2025's `runInferenceOnPriceFeed(string, string, query)`."""
    r = AbiReader(args, max_types)
    model_id = r.string(r.offset(0, 0))
    input_name = r.string(r.offset(0, WORD))
    return model_id, input_name, _earlier_query(r, r.offset(0, 2 * WORD), max_types)


def decode_query_historical_candles(args: bytes, max_types: int) -> HistoricalInputQuery:
    """Arguments (after the selector) of `queryHistoricalCandles(HistoricalInputQuery)`."""
    r = AbiReader(args, max_types)
    return _query(r, r.offset(0, 0), max_types)


def decode_run_inference_on_price_feed(
    args: bytes, max_types: int
) -> tuple[str, str, HistoricalInputQuery]:
    """Arguments of `runInferenceOnPriceFeed(string model_id, string input_name, query)`."""
    r = AbiReader(args, max_types)
    model_id = r.string(r.offset(0, 0))
    input_name = r.string(r.offset(0, WORD))
    return model_id, input_name, _query(r, r.offset(0, 2 * WORD), max_types)


def encode_numbers(values: Sequence[Number]) -> bytes:
    """`abi.encode(TensorLib.Number[])`: the return data of `queryHistoricalCandles`."""
    words = [encode_uint(WORD), encode_uint(len(values))]
    for value, decimals in values:
        words.append(encode_int(value))
        words.append(encode_int(decimals))
    return b"".join(words)
