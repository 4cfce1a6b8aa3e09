"""Typed views of OGHistorical's (0xF5) structs and enums, free of ABI details."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


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
class EarlierQuery:
    """January 2025's query, field for field; `historical.precompile` turns it into today's."""

    currency_pair: str
    total_candles: int
    candle_duration_in_mins: int
    order: int
    candle_types: tuple[int, ...]
