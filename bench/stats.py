"""Small helpers for bench/run.py: robust summaries and a timer. No asserts, no thresholds."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    """Median and spread of one set of samples (same unit as the samples)."""

    n: int
    median: float
    p10: float
    p90: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        a = np.asarray(samples, dtype=np.float64)
        if a.size == 0:
            nan = float("nan")
            return cls(0, nan, nan, nan, nan, nan)
        p10, q1, med, q3, p90 = np.percentile(a, [10, 25, 50, 75, 90])
        return cls(int(a.size), float(med), float(p10), float(p90), float(q1), float(q3))

    def scaled(self, k: float) -> Summary:
        return Summary(
            self.n, self.median * k, self.p10 * k, self.p90 * k, self.q1 * k, self.q3 * k
        )


def time_each(fn: Callable[[], object], n: int, warmup: int = 3) -> list[float]:
    """Seconds per call of `fn`, each call timed on its own."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) * 1e-9)
    return out


def time_batched(
    fn: Callable[[], object], batches: int, per_batch: int, warmup: bool = True
) -> list[float]:
    """Seconds per call of a very fast `fn`: `batches` samples, each the mean of `per_batch`."""
    for _ in range(min(per_batch, 50) if warmup else 0):
        fn()
    out = []
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        for _ in range(per_batch):
            fn()
        out.append((time.perf_counter_ns() - t0) * 1e-9 / per_batch)
    return out


def fmt(x: float, digits: int = 2) -> str:
    if x != x:  # NaN
        return "n/a"
    return f"{x:,.{digits}f}"


def row(label: str, s: Summary, digits: int = 2, extra: Sequence[str] = ()) -> str:
    cells = [
        label,
        fmt(s.median, digits),
        f"{fmt(s.p10, digits)} – {fmt(s.p90, digits)}",
        fmt(s.iqr, digits),
        str(s.n),
        *extra,
    ]
    return "| " + " | ".join(cells) + " |"
