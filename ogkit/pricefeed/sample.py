"""The shipped sample price history: SYNTHETIC candles, generated deterministically.

Not market data. Each (pair, duration) series is a random walk whose steps come from
keccak256 of ("ogkit-sample", pair, duration, index) (pure Python, so the same bytes on every
machine and numpy version), with the walk's drift removed so it returns to its starting
price after `CYCLE` candles. Candle k starts at `EPOCH + k * duration` and uses step
`k mod CYCLE`, so the series covers every time from 2025-01-01 on (whatever "now" a dev
chain's blocks carry) without a seam, and repeats every `CYCLE` candles.
Series of different durations are independent walks, not aggregates of each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from eth_utils import keccak

from precompiles.fixed_point import decimal_to_number
from precompiles.host import Candle, NotEnoughHistory, UnknownPair, UnsupportedDuration

EPOCH = 1_735_689_600
"""2025-01-01T00:00:00Z: the first candle of every sample series opens here."""
CYCLE = 2_880
"""Candles per repetition of a series (two days of 1m candles, 120 days of 60m ones)."""
DURATIONS_MINS = (1, 5, 15, 30, 60, 240, 1440)
_MINUTES_PER_YEAR = 525_600


@dataclass(frozen=True)
class SamplePair:
    start_price: float
    annual_volatility: float
    price_decimals: int
    volume_per_minute: float


PAIRS: dict[str, SamplePair] = {
    "ETH/USD": SamplePair(3_000.0, 0.65, 2, 900.0),
    "BTC/USD": SamplePair(65_000.0, 0.50, 2, 40.0),
    "SOL/USD": SamplePair(150.0, 0.85, 3, 12_000.0),
    "SUI/USD": SamplePair(1.5, 1.00, 4, 400_000.0),
    "ETH/USDT": SamplePair(3_000.0, 0.65, 2, 1_500.0),
}


def _normals(pair: str, duration: int, index: int) -> tuple[float, float, float, float]:
    """Four standard normals from one keccak (Box-Muller on 64-bit uniforms)."""
    digest = keccak(f"ogkit-sample|{pair}|{duration}|{index}".encode())
    u = [(int.from_bytes(digest[i : i + 8], "big") + 0.5) / 2**64 for i in range(0, 32, 8)]
    r1, r2 = math.sqrt(-2 * math.log(u[0])), math.sqrt(-2 * math.log(u[2]))
    return (
        r1 * math.cos(2 * math.pi * u[1]),
        r1 * math.sin(2 * math.pi * u[1]),
        r2 * math.cos(2 * math.pi * u[3]),
        r2 * math.sin(2 * math.pi * u[3]),
    )


def _fixed(x: float, decimals: int) -> tuple[int, int]:
    return decimal_to_number(f"{x:.{decimals}f}")


@lru_cache(maxsize=64)
def _cycle(pair: str, duration: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """One cycle of (open, high, low, close, volume) for a series."""
    spec = PAIRS[pair]
    sigma = spec.annual_volatility * math.sqrt(duration / _MINUTES_PER_YEAR)
    draws = [_normals(pair, duration, k) for k in range(CYCLE)]
    steps = [sigma * d[0] for d in draws]
    drift = sum(steps) / CYCLE
    level = math.log(spec.start_price)
    rows = []
    for k, (_, wick_up, wick_down, vol_noise) in enumerate(draws):
        open_ = math.exp(level)
        level += steps[k] - drift
        close = math.exp(level)
        high = max(open_, close) * math.exp(abs(wick_up) * sigma * 0.5)
        low = min(open_, close) * math.exp(-abs(wick_down) * sigma * 0.5)
        volume = spec.volume_per_minute * duration * math.exp(0.5 * vol_noise)
        d = spec.price_decimals
        rows.append(
            (_fixed(open_, d), _fixed(high, d), _fixed(low, d), _fixed(close, d), _fixed(volume, 4))
        )
    return tuple(rows)


class SamplePriceSource:
    """Serves the synthetic series for `PAIRS` x `DURATIONS_MINS`."""

    name = "sample (synthetic)"

    def pairs(self) -> list[str]:
        return sorted(PAIRS)

    def candles(
        self, base: str, quote: str, duration_mins: int, count: int, timestamp: int
    ) -> tuple[Candle, ...]:
        pair = f"{base}/{quote}".upper()
        if pair not in PAIRS:
            raise UnknownPair(f"unknown pair {base}/{quote}; known: {', '.join(self.pairs())}")
        if duration_mins not in DURATIONS_MINS:
            raise UnsupportedDuration(
                f"candle duration {duration_mins}m not available for {pair}; available: "
                + ", ".join(f"{d}m" for d in DURATIONS_MINS)
            )
        seconds = duration_mins * 60
        closed = (timestamp - EPOCH) // seconds if timestamp >= EPOCH else 0
        if closed < count:
            raise NotEnoughHistory(
                f"not enough history for {pair} {duration_mins}m: {closed} candles closed by "
                f"{timestamp}, {count} requested"
            )
        rows = _cycle(pair, duration_mins)
        out = []
        for k in range(closed - count, closed):
            o, h, lo, c, v = rows[k % CYCLE]
            out.append(Candle(EPOCH + k * seconds, duration_mins, o, h, lo, c, v))
        return tuple(out)
