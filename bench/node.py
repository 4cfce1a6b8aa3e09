"""Transactions per second through `ogkit node` and through anvil, same client; writes
bench/RESULTS-node.md.

    cd <repo> && .venv/bin/python bench/node.py      # also run by bench/run.py (make bench)
    .venv/bin/python bench/node.py --quick           # transfers and calls, 8 rounds, no
                                                     # profile, results to bench/.work/

A benchmark, not a test: it measures and reports, it never fails on a timing.

Both nodes run as real processes on free ports with their default settings (automine; log
output to files in bench/.work/). One client drives both: web3.py over HTTP (keep-alive,
middleware removed so the client does the same small amount of work for both), with raw
transactions signed before the clock starts. Per cell and round it sends N transactions:

* sequential: send one, poll its receipt until it is there, then the next;
* pipelined: send all N, then poll all N receipts.

Workloads: (a) plain ETH transfers; (b) a plain contract call, `BenchCounter.increment()`
(one storage write and one event; bench/contracts/, built with the project's solc);
(c) `SentimentGate.submit(words)` through 0xF4, with words no earlier transaction sent (the
model really runs) and with the same words every time (the result cache answers). anvil has
no 0xF4, so (c) runs on ogkit node alone. Rounds interleave the cells, rotating their order
(by workload and mode, so the two cells a ratio compares always run back to back);
each figure is the median over rounds with p10 – p90, and each ratio ours/anvil is taken per
round (the two ran back to back) and then summarised.

Then a profile of where the node's time goes: the same transactions handled in-process by
the node's JSON-RPC layer (`Rpc.handle` on request bodies: no HTTP, no client), timed and
under cProfile, plus the HTTP round trip of a trivial request on both nodes. Last, the
ratios ours / anvil go to bench/.work/figures/node.json for bench/scoreboard.py (not with
`--quick`, so a quick check leaves the full run's figures in place).

This file is the entry point; the set-up every part shares (paths, counts, the node
processes) is node_setup.py, the client side node_client.py, the measurements
node_throughput.py and node_profile.py, and the write-up node_report.py with
node_report_profile.py.
"""

from __future__ import annotations

import node_setup  # noqa: F401 - first: env defaults before ogkit loads

# isort: split

import argparse
import json
import os
import sys
import time
from pathlib import Path

from figures import figure, record
from node_client import compile_contracts
from node_profile import profile_in_process
from node_report import write_results
from node_setup import (
    ANVIL,
    BOTH,
    GOAL,
    MODES,
    OGKIT,
    QUICK_PROFILE,
    RESULTS,
    ROUNDS,
    WORK,
    WORKLOADS,
    Server,
    machine_info,
)
from node_throughput import bench_throughput, round_ratios, round_trip
from stats import Summary

FIGURE_WHAT = {"call": ("contract calls", "≥ 0.9×"), "transfer": ("ETH transfers", "—")}
"""Issue 13's figures per workload anvil runs: what the scoreboard calls it, and its goal
(0.9 is issue 13's for contract calls; transfers are held to the same line, for reference)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Defaults: the full run `make bench` records. `--quick` (a before/after check while
    working on the node) writes elsewhere, so the recorded results stay the full run's."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="transfer+call, 8 rounds, no profile")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help=f"default {RESULTS}")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = args.rounds or 8
        args.out = args.out or WORK / "RESULTS-node-quick.md"
    return args


def figure_rows(tps: dict[str, list[float]]) -> list[dict]:
    """ours / anvil per round, summarised, for each workload anvil runs and each mode."""
    rows = []
    for workload, (what, goal) in FIGURE_WHAT.items():
        for mode in MODES:
            ratio = Summary.of(round_ratios(tps, workload, mode))
            rows.append(
                figure(f"ogkit node / anvil, {what}, {mode}", ratio, goal, ratio.median >= GOAL)
            )
    return rows


def measure(store_root: str, artifacts: dict, rounds: int, workloads: tuple[str, ...]) -> tuple:
    """Both nodes started, measured over HTTP and stopped: (machine info, throughput, RTTs)."""
    ours = Server(
        "ours",
        lambda port: [str(OGKIT), "node", "--port", str(port), "--model-store", store_root],
    )
    anvil = Server("anvil", lambda port: [str(ANVIL), "--port", str(port)])
    try:
        info = machine_info(anvil)
        print("node bench: throughput …", flush=True)
        b = bench_throughput(ours, anvil, artifacts, rounds, workloads)
        rtt = {"ours": round_trip(ours), "anvil": round_trip(anvil)}
    finally:
        ours.stop()
        anvil.stop()
    return info, b, rtt


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rounds = args.rounds or ROUNDS
    out = args.out or RESULTS
    workloads = BOTH if args.quick else WORKLOADS
    started = time.perf_counter()
    from og_examples.install import install_examples
    from ogkit.models.store import ModelStore

    store = ModelStore()
    install_examples(store)
    if not ANVIL.exists():
        raise SystemExit(f"{ANVIL} is missing: run `npm ci` (make setup)")
    print("node bench: contracts …", flush=True)
    artifacts = compile_contracts()
    info, b, rtt = measure(str(store.root), artifacts, rounds, workloads)
    print("node bench: profile …", flush=True)
    prof = QUICK_PROFILE if args.quick else profile_in_process(artifacts)
    info["load average (1 min) at end"] = f"{os.getloadavg()[0]:.2f}"
    WORK.mkdir(exist_ok=True)
    (WORK / "node-raw.json").write_text(
        json.dumps({"b": b, "rtt": rtt, "profile": prof}, default=str)
    )
    runtime = time.perf_counter() - started
    text = write_results(info, b, rtt, prof, runtime, rounds, workloads, out)
    print(text)
    print(f"\nwrote {out} in {runtime:.0f} s")
    if not args.quick:  # a quick check leaves the full run's figures to the scoreboard
        record("node", figure_rows(b["tps"]))


if __name__ == "__main__":
    main()
