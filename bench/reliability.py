"""How `ogkit node` holds up under abuse; writes bench/RESULTS-reliability.md (issue 12).

    cd <repo> && .venv/bin/python bench/reliability.py [--quick] [--seed N]

A benchmark, not a test: it measures and reports, it never fails on a figure. Sections:

1. fuzzed JSON-RPC requests: answers that are not JSON-RPC 2.0, node deaths
   (bench/reliability_fuzz.py, requests from bench/reliability_fuzzgen.py);
2. kill -9 while clients send transactions: hashes and receipts lost
   (bench/reliability_kill.py);
3. `eth_blockNumber` latency while a looping `eth_call` and 1,000 idle connections are
   held (bench/reliability_probe.py);
4. gas per ms of model compute, from bench/gas_compute.py when it is there.

Every node runs as a real `ogkit node` process under a temporary directory, with
`--rpc-evm-timeout 5` when the node has that option, and is killed on exit, error or
Ctrl-C (bench/reliability_nodes.py). `--quick` takes about 2 minutes, the full run about 5
(2 cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import inspect
import math
import os
import platform
import shlex
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("OGKIT_MODEL_STORE", str(ROOT / ".ogkit" / "models"))
os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))

from reliability_fuzz import run_fuzz  # noqa: E402
from reliability_kill import run_kills  # noqa: E402
from reliability_nodes import Nodes, node_flags, stop_all  # noqa: E402
from reliability_probe import PROBE_EVERY, PROBE_TIMEOUT, run_probe  # noqa: E402
from reliability_report import (  # noqa: E402
    P99_TARGET,
    fuzz_section,
    kill_section,
    nearest_rank,
    probe_section,
)

RESULTS = HERE / "RESULTS-reliability.md"
SECTIONS = ("fuzz", "kill", "probe", "gas")
SIZES = {  # (fuzz requests, kill rounds, probe seconds, baseline probe seconds)
    "quick": (300, 4, 5.0, 2.0),
    "full": (3000, 20, 20.0, 5.0),
}


def gas_section(quick: bool) -> list[str]:
    """bench/gas_compute.py's section (another script measures it), or why there is none."""
    title = ["## 4. Gas per ms of model compute", ""]
    if importlib.util.find_spec("gas_compute") is None:
        return title + ["not measured: bench/gas_compute.py not present", ""]
    try:
        gas_compute = importlib.import_module("gas_compute")
        wants_quick = "quick" in inspect.signature(gas_compute.measure).parameters
        rows = gas_compute.measure(quick=quick) if wants_quick else gas_compute.measure()
        text = gas_compute.markdown(rows).rstrip()
    except Exception as exc:  # noqa: BLE001 - reported, so the other sections still land
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return title + [f"not measured: bench/gas_compute.py failed: `{detail[:500]}`", ""]
    return title + [text, ""]


def machine(load_start: float) -> list[str]:
    return [
        "| machine | |",
        "|---|---|",
        f"| nproc (usable CPUs) | {len(os.sched_getaffinity(0))} |",
        f"| OS | {platform.platform()} |",
        f"| python | {platform.python_version()} |",
        f"| load average (1 min) at start | {load_start:.2f} |",
        f"| load average (1 min) at end | {os.getloadavg()[0]:.2f} |",
        "",
    ]


def run(args: argparse.Namespace) -> str:
    requests, rounds, probe_s, baseline_s = SIZES["quick" if args.quick else "full"]
    load_start = os.getloadavg()[0]
    started = time.monotonic()
    flags = node_flags()
    body: list[str] = []
    nodes = Nodes(flags)
    try:
        if "fuzz" in args.sections:
            print(f"fuzz: {requests} requests", flush=True)
            body += fuzz_section(run_fuzz(nodes, requests, args.seed))
        if "kill" in args.sections:
            print(f"kill -9: {rounds} rounds", flush=True)
            body += kill_section(run_kills(nodes, rounds, args.seed))
        if "probe" in args.sections:
            print(f"probe: {probe_s:.0f} s", flush=True)
            probe = run_probe(nodes, probe_s, baseline_s, one=not args.quick)
            p99 = nearest_rank(probe.loaded.probes.latencies, 0.99)
            ok = not math.isnan(p99) and p99 <= P99_TARGET
            body += probe_section(probe, PROBE_TIMEOUT, PROBE_EVERY, ok)
    finally:
        nodes.close()
    if "gas" in args.sections:
        print("gas per ms", flush=True)
        body += gas_section(args.quick)
    command = shlex.join([".venv/bin/python", "bench/reliability.py", *sys.argv[1:]])
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "# ogkit node under abuse: fuzzing, kill -9, probe latency, gas per ms",
        "",
        f"Written by `{command}` on {now} in **{time.monotonic() - started:.0f} s** "
        f"({'quick' if args.quick else 'full'} mode). Node flags: "
        f"`{' '.join(flags) or '(defaults)'}` plus `--quiet`. Issue 12; a benchmark, not a "
        "test: it reports, it never fails.",
        "",
        *machine(load_start),
    ]
    return "\n".join(head + body).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~2 minutes instead of ~10")
    parser.add_argument("--seed", type=int, default=12, help="seed of every random choice")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--out", type=Path, default=RESULTS, help="the markdown written")
    args = parser.parse_args()
    try:
        text = run(args)
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
