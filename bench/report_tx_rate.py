"""Section (b) of bench/RESULTS.md: transactions per second, their ratios and the profile, as
measured by tx_rate.py."""

from __future__ import annotations

from bench_setup import B_ROUNDS, B_TXS, PROFILE_TXS, ms
from stats import Summary, fmt
from tx_rate import CELLS, PROFILED, diagnose, tx_ratios


def tx_rate_section(b: dict, prof: dict, tx_types: dict, info: dict) -> list[str]:
    L = [
        "## (b) Plain transactions per second: `BenchCounter.increment()`",
        "",
        "One storage write + one event (bench/contracts/BenchCounter.sol). "
        f"{B_ROUNDS} rounds × {B_TXS} transactions per cell; the cell order rotates and reverses "
        "every round so machine noise hits every cell alike. tx/s of a round = 1 / median "
        "ms per tx in that round (robust to spikes from other processes). "
        "Default transaction types: "
        + ", ".join(f"{k} → type {v}" for k, v in tx_types.items())
        + ". The `type=` cells pass the type explicitly on both chains, so the client-side "
        "work is the same and only the chain differs.",
        "",
        "| cell | tx/s (median of rounds) | tx/s p10 – p90 | ms/tx median | ms/tx p10 – p90 | n |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, _, _ in CELLS:
        rounds = Summary.of(b["per_round"][label])
        per = ms(b["per_tx"][label])
        L.append(
            f"| {label} | {fmt(rounds.median, 1)} | {fmt(rounds.p10, 1)} – {fmt(rounds.p90, 1)} | "
            f"{fmt(per.median)} | {fmt(per.p10)} – {fmt(per.p90)} | {per.n} |"
        )
    L.append("")
    ratios = tx_ratios(b)
    L += ["| ratio ours / Ape's default (per-round pairs) | median | p10 – p90 | rounds |"]
    L += ["|---|---:|---:|---:|"]
    for label, r in ratios.items():
        L.append(
            f"| {label} | **{fmt(r.median, 3)}** | {fmt(r.p10, 3)} – {fmt(r.p90, 3)} | {r.n} |"
        )
    L.append("")
    return L + _profile(prof) + ["**Reading it.** " + diagnose(ratios, prof, tx_types, info), ""]


def _profile(prof: dict) -> list[str]:
    L = [
        f"Profile (cProfile, {PROFILE_TXS} increments per cell, the quicker of two passes; "
        "calls and ms **per tx**, profiler overhead included):",
        "",
        "| cell | total ms/tx | " + " | ".join(col for *_, col in PROFILED) + " |",
        "|---|---:|" + "---:|" * len(PROFILED),
    ]
    for label, p in prof.items():
        cells = [f"{p['funcs'][k][0]:.0f}× / {p['funcs'][k][1]:.1f} ms" for k, *_ in PROFILED]
        L.append(f"| {label} | {p['total_ms_per_tx']:.1f} | " + " | ".join(cells) + " |")
    L.append("")
    return L
