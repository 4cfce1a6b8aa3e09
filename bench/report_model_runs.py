"""Section (c) of bench/RESULTS.md: model runs and 0xF4 executions per Ape call, as counted by
model_runs.py."""

from __future__ import annotations


def model_runs_section(c: list[tuple[str, int, str, str]]) -> list[str]:
    L = [
        "## (c) Model runs per Ape call",
        "",
        "`chain.provider.inference_engine.model_runs` before/after each call on "
        "opengradient:local:test. '0xF4 executions' counts every time the EVM ran the "
        "precompile (model run, cache hit or revert). 'fresh candles' = one new candle pushed "
        "just before (not counted).",
        "",
        "| Ape call | model runs | 0xF4 executions | note |",
        "|---|---:|---:|---|",
    ]
    for label, runs, executions, note in c:
        L.append(f"| {label} | **{runs}** | {executions} | {note} |")
    L.append("")
    return L
