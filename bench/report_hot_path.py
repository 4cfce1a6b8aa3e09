"""The hot-path part of section (a) of bench/RESULTS.md, as measured by hot_path.py, and what
it says about the rebalance overhead."""

from __future__ import annotations

from bench_setup import HOT_BATCHES, HOT_COLD, HOT_PER_BATCH
from stats import Summary, fmt, row


def hot_path_section(hot: list[tuple[str, Summary, str]], c: list, warm: Summary) -> list[str]:
    """`warm`: onnxruntime's warm `session.run` in ms; `c`: section (c)'s rows."""
    L = [
        "### Where the overhead goes: the 0xF4 hot path in isolation",
        "",
        "Each step of one precompile call on a rebalance request (one [10, 4] tensor, 40 "
        "`Number`s with 8 decimals), called directly in Python on the warm in-process engine; "
        f"µs per call ({HOT_BATCHES} samples, each the mean of {HOT_PER_BATCH} calls; the cold "
        f"line times {HOT_COLD} single calls, each on a new input).",
        "",
        "| step (µs) | median | p10 – p90 | IQR | n | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, s, note in hot:
        L.append(row(label, s, 1, [note]))
    L.append("")
    return L + _reading(hot, c, warm)


def _reading(hot: list[tuple[str, Summary, str]], c: list, warm: Summary) -> list[str]:
    """0xF4's share of a rebalance transaction and its three largest steps."""
    whole_cached = next((s for label, s, _ in hot if "cached result" in label), None)
    whole_cold = next((s for label, s, _ in hot if "cold" in label), None)
    steps = {label: s for label, s, _ in hot}
    tx_row = next((r for r in c if r[0].startswith("`vault.rebalance(sender=owner)`, fresh")), None)
    execs = int(tx_row[2].split()[0]) if tx_row else 0
    if not (whole_cached and whole_cold and execs):
        return []
    big = sorted(
        ((s.median, label) for label, s in steps.items() if not label.startswith("**")),
        reverse=True,
    )[:3]
    top = sum(m for m, _ in big)
    return [
        f"A default `vault.rebalance(sender=…)` executes the precompile **{execs}×** (see "
        f"(c)), so 0xF4 itself accounts for ≈ {fmt(whole_cold.median / 1e3)} ms of the cold "
        f"transaction and ≈ {fmt(whole_cached.median / 1e3)} ms of a cached one, of which "
        f"the model (warm `session.run`) is {fmt(warm.median * 1e3, 1)} µs. The three "
        "largest steps: "
        + "; ".join(f"{label.split(' (')[0]} {fmt(m, 0)} µs" for m, label in big)
        + f" (together {fmt(top, 0)} µs; a whole cached call {fmt(whole_cached.median, 0)} "
        "µs). The rest of (1″) − (2) is EVM and client work the baseline does not do: the "
        "CALL into 0xF4, copying and decoding its return data, and one more log "
        "(`ModelInferenceEvent`, ~2 KB of data) that eth-tester serialises and Ape decodes "
        "in the receipt.",
        "",
    ]
