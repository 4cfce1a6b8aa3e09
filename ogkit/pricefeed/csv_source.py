"""Candles from a CSV file the user supplies.

Columns (header required, any order, extra columns ignored):

    pair,timestamp,duration_mins,open,high,low,close,volume
    ETH/USD,1735689600,60,3000.5,3012.25,2995,3007.75,1234.5

`pair` is BASE/QUOTE (matched case-insensitively); `timestamp` is the candle's OPEN time in
unix seconds, and it closes `duration_mins` later; prices and volume are decimal text, kept
exactly (fixed point by the SDK rule). Rows may come in any order; gaps are allowed (the
latest candles closed by a block are served, whatever their spacing).
"""

from __future__ import annotations

import bisect
import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path

from precompiles.fixed_point import FixedPointError, decimal_to_number
from precompiles.host import Candle, NotEnoughHistory, UnknownPair, UnsupportedDuration

COLUMNS = ("pair", "timestamp", "duration_mins", "open", "high", "low", "close", "volume")


class CsvFormatError(ValueError):
    """The CSV file does not follow the documented format; names the line."""


class CsvPriceSource:
    def __init__(self, series: dict[tuple[str, int], list[Candle]], name: str = "csv") -> None:
        self.name = name
        self._candles = {
            key: sorted(rows, key=lambda c: c.open_time) for key, rows in series.items()
        }
        self._pairs = sorted({pair for pair, _ in self._candles})
        self._close_times = {
            key: [c.close_time for c in rows] for key, rows in self._candles.items()
        }

    @classmethod
    def load(cls, path: Path | str) -> CsvPriceSource:
        path = Path(path)
        series: dict[tuple[str, int], list[Candle]] = {}
        seen: set[tuple[str, int, int]] = set()
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CsvFormatError(f"{path}: missing column(s) {', '.join(missing)}")
            for line, row in enumerate(reader, start=2):
                candle, pair = _parse(row, f"{path}:{line}")
                key = (pair, candle.duration_mins, candle.open_time)
                if key in seen:
                    raise CsvFormatError(f"{path}:{line}: duplicate candle {pair} {key[1:]}")
                seen.add(key)
                series.setdefault((pair, candle.duration_mins), []).append(candle)
        return cls(series, name=f"csv:{path}")

    def pairs(self) -> list[str]:
        return self._pairs

    def candles(
        self, base: str, quote: str, duration_mins: int, count: int, timestamp: int
    ) -> tuple[Candle, ...]:
        pair = f"{base}/{quote}".upper()
        durations = sorted(d for p, d in self._candles if p == pair)
        if not durations:
            raise UnknownPair(f"unknown pair {base}/{quote}; known: {', '.join(self.pairs())}")
        key = (pair, duration_mins)
        if key not in self._candles:
            raise UnsupportedDuration(
                f"candle duration {duration_mins}m not available for {pair}; available: "
                + ", ".join(f"{d}m" for d in durations)
            )
        closed = bisect.bisect_right(self._close_times[key], timestamp)
        if closed < count:
            raise NotEnoughHistory(
                f"not enough history for {pair} {duration_mins}m: {closed} candles closed by "
                f"{timestamp}, {count} requested"
            )
        return tuple(self._candles[key][closed - count : closed])


def _parse(row: dict[str, str], where: str) -> tuple[Candle, str]:
    try:
        pair = row["pair"].strip().upper()
        if pair.count("/") != 1 or not all(pair.split("/")):
            raise CsvFormatError(f"{where}: pair {row['pair']!r} is not BASE/QUOTE")
        open_time = int(row["timestamp"])
        duration = int(row["duration_mins"])
        if open_time < 0 or duration <= 0:
            raise CsvFormatError(f"{where}: timestamp and duration_mins must be positive")
        fields = {name: Decimal(row[name].strip()) for name in COLUMNS[3:]}
        numbers = {name: decimal_to_number(row[name].strip()) for name in COLUMNS[3:]}
    except (ValueError, InvalidOperation, FixedPointError, TypeError, AttributeError) as exc:
        if isinstance(exc, CsvFormatError):
            raise
        raise CsvFormatError(f"{where}: {exc}") from None
    low, high = fields["low"], fields["high"]
    if not low <= min(fields["open"], fields["close"]) or not high >= max(
        fields["open"], fields["close"]
    ):
        raise CsvFormatError(f"{where}: needs low <= open, close <= high")
    if low <= 0 or fields["volume"] < 0:
        raise CsvFormatError(f"{where}: prices must be > 0 and volume >= 0")
    candle = Candle(
        open_time,
        duration,
        numbers["open"],
        numbers["high"],
        numbers["low"],
        numbers["close"],
        numbers["volume"],
    )
    return candle, pair
