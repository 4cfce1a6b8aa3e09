"""Benchmarks of the AI chain, side by side with Ape's default chain; writes bench/RESULTS.md.

    cd <repo> && SOLCX_BINARY_PATH=$PWD/.solcx OGKIT_MODEL_STORE=$PWD/.ogkit/models \
        .venv/bin/python bench/run.py          # or: make bench
    .venv/bin/python bench/run.py --only-tx [ROUNDS]   # (b) only, printed, RESULTS.md untouched
    .venv/bin/python bench/run.py --no-node            # all but bench/node.py
    BENCH_SMOKE=1 BENCH_RESULTS=/tmp/x.md .venv/bin/python bench/run.py --no-node
        # a trial run: every sample count 1-4, written to /tmp/x.md (copy RESULTS.md there
        # first to keep the other scripts' sections); bench/RESULTS.md is left alone

A benchmark, not a test: it measures and reports, it never fails on a timing.

(a) Inference overhead of `VolatilityVault.rebalance()`: the cold transaction (fresh candles,
    the model really runs), cached ones (the chain answers from its (model, input) result
    cache), a baseline transaction that does everything `rebalance()` does except the 0xF4
    call (bench/contracts/VolatilityVaultBaseline.sol), and onnxruntime on the same input
    (fresh and warm session). Plus the precompile's hot path step by step, in isolation.
(b) Plain transactions per second (`BenchCounter.increment()`) on opengradient:local:test and
    ethereum:local:test, interleaved in rounds: with each chain's default transaction type
    and with type 0 and type 2 passed explicitly on both; plus a short profile per cell.
(c) How many times the model runs (`inference_engine.model_runs`) and how many times the EVM
    executes the precompile, per kind of Ape call.

Both chains are driven through the same Ape client code (`networks.parse_network_choice`).
This file is the entry point; the set-up all sections share is bench_setup.py, each section is
measured by its module (rebalance.py, hot_path.py, tx_rate.py, model_runs.py) and written by
report.py with one report_*.py per section.
"""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: working directory and env defaults before Ape

# isort: split

import json
import os
import subprocess
import sys
import time

from ape import accounts, networks, project
from ape.logging import logger
from bench_setup import B_ROUNDS, HERE, MODEL, OG, RESULTS, ROOT, WORK, ensure_models, machine_info
from contracts_build import containers
from figures import figure, record
from hot_path import bench_hot_path
from model_runs import bench_model_runs
from rebalance import REBALANCE_KINDS, bench_onnxruntime, bench_rebalance
from report import write_results
from stats import Summary
from tx_rate import bench_tx_per_second, default_tx_types, profile_cells, tx_only, tx_ratios

NODE_BENCH_LINE = (
    "`ogkit node` against anvil, transactions per second over JSON-RPC with one client: "
    "[RESULTS-node.md](RESULTS-node.md) (`bench/node.py`, run by `make bench` too)."
)


def run_node_bench() -> str:
    """bench/node.py in its own process (it starts both nodes; it writes RESULTS-node.md);
    the line RESULTS.md gives it."""
    done = subprocess.run([sys.executable, str(HERE / "node.py")], cwd=ROOT)
    if done.returncode != 0:
        return NODE_BENCH_LINE + (
            f" **It failed in this run (exit {done.returncode})**; see its output."
        )
    return NODE_BENCH_LINE


def vault_contract(C) -> tuple[object, str]:
    """The project's `VolatilityVault`, or bench's own build if the project does not compile;
    and where it came from."""
    try:
        return project.VolatilityVault, "the Ape project (`project.VolatilityVault`)"
    except Exception as exc:  # noqa: BLE001 - e.g. someone else's contract mid-edit
        print(f"project compile failed ({exc}); using bench's own build of VolatilityVault")
        return C["VolatilityVault"], (
            "bench's own build of contracts/examples/VolatilityVault.sol (project compile failed)"
        )


def measure_all(owner, C, vault_type, model_bytes: bytes) -> dict:
    """Every section, in the order that keeps them apart (see each module for what)."""
    out = {"tx_types": default_tx_types()}
    print("(c) model runs per call …", flush=True)
    out["c"] = bench_model_runs(owner, vault_type)
    print("(a) rebalance transactions …", flush=True)
    out["a"] = bench_rebalance(owner, C, vault_type)
    print("(a) onnxruntime …", flush=True)
    out["ort_res"] = bench_onnxruntime(model_bytes)
    print("(a) hot path …", flush=True)
    with networks.parse_network_choice(OG) as provider:
        engine = provider.inference_engine
    out["hot"] = bench_hot_path(engine)
    print("(b) tx/s …", flush=True)
    out["b"] = bench_tx_per_second(owner, C)
    print("(b) profile …", flush=True)
    out["prof"] = profile_cells(owner, C)
    return out


def save_raw(m: dict) -> None:
    WORK.mkdir(exist_ok=True)
    raw = {
        "a": {k: m["a"][k] for k in REBALANCE_KINDS},
        "onnxruntime": {k: v[:200] for k, v in m["ort_res"].items()},
        "b": m["b"],
        "c": m["c"],
    }
    (WORK / "raw.json").write_text(json.dumps(raw, indent=1, default=str))


def record_figures(m: dict) -> None:
    """Issue 13's figures from this run, for bench/scoreboard.py."""
    rows = [
        figure(
            f"plain Ape transactions, ours / Ape's default: {what}",
            ratio,
            "≥ 2.0×",
            ratio.median >= 2.0,
        )
        for what, ratio in tx_ratios(m["b"]).items()
    ]
    a = m["a"]
    overhead = Summary.of([x / y for x, y in zip(a["cold"], a["baseline"], strict=True)])
    rows.append(
        figure(
            "`rebalance()` running the model / the same tx without 0xF4 (per-sample ratios)",
            overhead,
            "≤ 1.05×",
            overhead.median <= 1.05,
        )
    )
    record("run", rows)


def main() -> None:
    if "--only-tx" in sys.argv:  # [--only-tx [ROUNDS]]
        tail = sys.argv[sys.argv.index("--only-tx") + 1 :]
        tx_only(int(tail[0]) if tail else B_ROUNDS)
        return
    started = time.perf_counter()
    logger.set_level("ERROR")
    info = machine_info()
    print("models …", flush=True)
    store = ensure_models()
    model_bytes = store.read(store.resolve(MODEL))
    print("bench contracts …", flush=True)
    C = containers()
    vault_type, vault_source = vault_contract(C)
    owner = accounts.test_accounts[0]
    m = measure_all(owner, C, vault_type, model_bytes)
    node_line = NODE_BENCH_LINE
    if "--no-node" not in sys.argv:
        print("ogkit node vs anvil (bench/node.py) …", flush=True)
        node_line = run_node_bench()
    runtime = time.perf_counter() - started
    info["load average (1 min) at end"] = f"{os.getloadavg()[0]:.2f}"
    save_raw(m)
    record_figures(m)
    text = write_results(
        info,
        m["a"],
        m["ort_res"],
        m["hot"],
        m["b"],
        m["prof"],
        m["tx_types"],
        m["c"],
        runtime,
        vault_source,
        node_line,
    )
    print(text)
    print(f"\nwrote {RESULTS} in {runtime:.0f} s")


if __name__ == "__main__":
    main()
