"""Section (a) of bench/RESULTS.md: the rebalance transactions and onnxruntime, as measured by
rebalance.py (the hot path under it is report_hot_path.py's)."""

from __future__ import annotations

from bench_setup import ms
from stats import Summary, fmt, row


def rebalance_section(a: dict, ort_res: dict) -> list[str]:
    cold, fresh_cached = ms(a["cold"]), ms(a["fresh_cached"])
    cached, base = ms(a["cached"]), ms(a["baseline"])
    fresh, warm, eng = ms(ort_res["fresh"]), ms(ort_res["warm"]), ms(ort_res["engine_warm"])
    L = ["## (a) Inference overhead: `VolatilityVault.rebalance()`", ""]
    L += _what_is_timed(a, cold.n)
    L += [
        "",
        "| measurement (ms) | median | p10 – p90 | IQR | n |",
        "|---|---:|---:|---:|---:|",
        row("(1) rebalance tx, cold (model runs)", cold),
        row("(1″) rebalance tx, cached result, fresh state", fresh_cached),
        row("(1′) rebalance tx, cached replay (same candles again)", cached),
        row("(2) baseline tx: same work, no 0xF4 call", base),
        row("(3) onnxruntime, fresh session (create + run)", fresh, 3),
        row("(3) onnxruntime, warm session, per run", warm, 4),
        row("(3) the engine's `OnnxModel.run`, warm (lock + zip)", eng, 4),
        "",
    ]
    L += _derived(a, cold, fresh_cached, cached, base, warm.median)
    L += _ratios(a, cold, base, warm.median)
    return L


def _what_is_timed(a: dict, n: int) -> list[str]:
    """The paragraph and the bullets saying what each measured transaction does."""
    states = a["states"]
    same = len({(f, bps) for f, bps, _ in states.values()}) == 1
    return [
        "Each sample pushes one new candle to three contracts (not timed), so the 10-candle "
        "window — the model input — is new every time; then four transactions on "
        "opengradient:local:test, in an order that rotates every sample (the cold one always "
        "before the two cached ones):",
        "",
        "* **(1) cold**: `vault.rebalance()`; the result cache has never seen this input, so "
        f"the model runs (model runs per tx, this run: {a['runs']['cold']}).",
        "* **(1″) cached, fresh state**: `vault2.rebalance()`, a second `VolatilityVault` with "
        "the same candles: its first rebalance since the new candle, answered from the "
        f"(model, input) result cache that (1) filled (model runs: {a['runs']['fresh_cached']}).",
        "* **(1′) cached replay**: `vault.rebalance()` again on the same candles "
        f"(model runs: {a['runs']['cached']}).",
        "* **(2) baseline**: `VolatilityVaultBaseline.rebalanceWithoutInference(output)` "
        "(bench/contracts/), a `VolatilityVault` subclass method doing all of `rebalance()` "
        "except the 0xF4 call: the same [10, 4] tensor from the same stored candles, the same "
        "ABI encoding of the request, then ABI-decoding the `ModelOutput` the precompile "
        "returns for these candles (computed off-chain by a private engine; equal to the cold "
        f"tx's precompile output in {a['output_matches']}/{n} samples) instead of CALL + "
        "RETURNDATACOPY, the same name lookup, six storage writes and `Rebalanced` event "
        f"(model runs: {a['runs']['baseline']}). The output travels as {a['output_bytes']:,} "
        "bytes of calldata the real transaction does not carry, so if anything the baseline is "
        "a little slow and the overhead below a little low. "
        + (
            "All three contracts end with the same forecast and allocation."
            if same
            else f"**Warning: the contracts ended in different states: {states}.**"
        ),
        "* **(3) onnxruntime directly** on the same kind of input (`sample_input('volatility')`, "
        "float32 [10, 4]) with the engine's session options (1 intra-/inter-op thread): a fresh "
        "session (create + first run) and a warm session (`session.run` only).",
    ]


def _derived(a: dict, cold, fresh_cached, cached, base, warm_ms: float) -> list[str]:
    """Overheads from per-sample differences, next to the differences of the medians."""

    def paired(x: str, y: str) -> Summary:
        return ms([p - q for p, q in zip(a[x], a[y], strict=True)])

    d_cold, d_fresh = paired("cold", "baseline"), paired("fresh_cached", "baseline")
    d_cached, d_model = paired("cached", "baseline"), paired("cold", "fresh_cached")
    overhead = Summary(
        d_cold.n,
        *(v - warm_ms for v in (d_cold.median, d_cold.p10, d_cold.p90, d_cold.q1, d_cold.q3)),
    )
    return [
        "Differences are taken per sample (the four transactions of one sample ran back to "
        "back, in rotating order) and then summarised, which cancels slow phases of the machine "
        "better than a difference of medians; the difference of the medians is shown too.",
        "",
        "| derived (ms) | median of per-sample diffs | p10 – p90 | IQR | n | diff. of medians |",
        "|---|---:|---:|---:|---:|---:|",
        row(
            "**overhead, cold = (1) − (2) − (3 warm)**",
            overhead,
            extra=[fmt(cold.median - base.median - warm_ms)],
        ),
        row(
            "overhead, cached result = (1″) − (2)",
            d_fresh,
            extra=[fmt(fresh_cached.median - base.median)],
        ),
        row(
            "overhead, cached replay = (1′) − (2)",
            d_cached,
            extra=[fmt(cached.median - base.median)],
        ),
        row(
            "a model run as seen on chain = (1) − (1″)",
            d_model,
            extra=[fmt(cold.median - fresh_cached.median)],
        ),
        "",
    ]


def _ratios(a: dict, cold, base, warm_ms: float) -> list[str]:
    g = a["gas"]
    return [
        "| ratios | value |",
        "|---|---:|",
        f"| (1) / (3 warm): rebalance tx vs the bare model run | {cold.median / warm_ms:,.0f}× |",
        f"| (1) / (2): rebalance tx vs the same without 0xF4 | {cold.median / base.median:.3f}× |",
        f"| gas used, median: (1) / (1″) / (1′) / (2) | {g['cold']:,} / {g['fresh_cached']:,} / "
        f"{g['cached']:,} / {g['baseline']:,} |",
        "",
    ]
