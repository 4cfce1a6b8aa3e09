"""The small interface through which 0xF5 reaches a price data node.

The chain hands a `PriceFeed` in (like `InferenceBackend` for 0xF4), so the precompile reads
no files and no network: `ogkit.pricefeed` serves candles from a CSV file or the shipped
synthetic sample, and signs what it served.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from precompiles.result import CallContext
from precompiles.types import Number


class CandleOrder(IntEnum):
    Ascending = 0
    Descending = 1


class CandleType(IntEnum):
    High = 0
    Low = 1
    Open = 2
    Close = 3
    Volume = 4


@dataclass(frozen=True)
class HistoricalInputQuery:
    """`HistoricalInputQuery` of OGHistorical.sol, field for field."""

    base: str
    quote: str
    total_candles: int
    candle_duration_in_mins: int
    order: int
    candle_types: tuple[int, ...]

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


@dataclass(frozen=True)
class Candle:
    """One closed candle; prices and volume as fixed point (SDK rule: normalised decimal)."""

    open_time: int
    """Unix seconds; the candle closes at `open_time + duration_mins * 60`."""
    duration_mins: int
    open: Number
    high: Number
    low: Number
    close: Number
    volume: Number

    @property
    def close_time(self) -> int:
        return self.open_time + self.duration_mins * 60

    def value(self, candle_type: CandleType) -> Number:
        return _FIELDS[candle_type](self)


_FIELDS = {
    CandleType.High: lambda c: c.high,
    CandleType.Low: lambda c: c.low,
    CandleType.Open: lambda c: c.open,
    CandleType.Close: lambda c: c.close,
    CandleType.Volume: lambda c: c.volume,
}


class PriceFeedError(LookupError):
    """The feed cannot serve a query; the message is the revert reason's tail."""


class UnknownPair(PriceFeedError):  # noqa: N818 - reads as the condition it reports
    pass


class UnsupportedDuration(PriceFeedError):  # noqa: N818
    pass


class NotEnoughHistory(PriceFeedError):  # noqa: N818
    pass


class PriceFeed(Protocol):
    def candles(
        self, base: str, quote: str, duration_mins: int, count: int, timestamp: int
    ) -> tuple[Candle, ...]:
        """The latest `count` candles that closed at or before `timestamp`, oldest first.

        Deterministic in its arguments, so eth_call, gas estimation and the transaction in
        one block (and every replay of it) see the same candles. Raise `UnknownPair`,
        `UnsupportedDuration` or `NotEnoughHistory`.
        """
        ...

    def record(
        self,
        query: HistoricalInputQuery,
        candles: tuple[Candle, ...],
        context: CallContext,
    ) -> None:
        """Keep (and sign) the record of candles the precompile served successfully.

        Called only when the call succeeds (a revert leaves no record), static frames and
        eth_call included: the record is the data node's log of what it served, not chain
        state. Replays of a block must not add a second record.
        """
        ...
