"""Helpers of the OGHistorical (0xF5) tests (tests/unit/price_feed/): its selectors and query
type, 12 hourly ETH/USD candles written as a CSV, the two calls' calldata, a call context at
the block after the last candle closed, and the revert reason of a result."""

from __future__ import annotations

from pathlib import Path

from eth_abi import decode, encode

from precompiles.host import CallContext, PrecompileResult

QUERY = "(string,string,uint32,uint32,uint8,uint8[])"
QUERY_SELECTOR = bytes.fromhex("f2f08e63")
INFER_SELECTOR = bytes.fromhex("a192a0f9")
ERROR_SELECTOR = bytes.fromhex("08c379a0")
SENDER = bytes.fromhex("44" * 20)
HOUR = 3600
T0 = 1_700_000_000 - 1_700_000_000 % HOUR  # first candle's open time
OHLC = [2, 0, 1, 3]  # Open, High, Low, Close: the volatility model's column order


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
