"""bench/zk.py's prover-queue section: four ZK transactions sent back to back, timed from the
first until all four records are `proved`, for each prover mode and worker count, in
interleaved rounds (the order flips every round, so load that drifts hits all alike).

Modes: `per-proof` (a new child process per proof, `prove_isolated`: the queue's way before
`ogkit.zk.worker`), `worker-cold` (each worker's long-lived child started by the batch itself:
a freshly started node) and `worker-warm` (children already running: a node that has proved
before). With `before`, each round also runs the same measurement in an older checkout (its own
code, store and ZK setup) in a subprocess: the "before" figures, taken in the same time window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from calls import run_model_inference
from stats import Summary, fmt
from web3 import EthereumTesterProvider, Web3

from og_examples.models import sample_input
from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from precompiles.addresses import OG_INFERENCE_ADDRESS

MODEL = "upstream_demo"
ZK_MODE = 1
QUEUED = 4
MODES = ("per-proof", "worker-cold", "worker-warm")
BEFORE = "before"
BEFORE_SCRIPT = """
import json, sys
sys.path.insert(0, "bench")
import zk
w = zk.measure_workers(1, int(sys.argv[1]))
print(json.dumps({str(k): v for k, v in w["seconds"].items()}))
"""


def _inputs(k: int) -> dict[str, np.ndarray]:
    return {n: (v * (1 + k / 100)).astype(v.dtype) for n, v in sample_input(MODEL).items()}


def send_zk_batch(engine: InferenceEngine, w3: Web3, account: str, k: int) -> tuple[int, set[str]]:
    """QUEUED ZK transactions back to back, each on a new input (k+1, k+2, ...: the model
    runs every time), each mined before the next is sent; the last k and the new records."""
    before = set(engine.records)
    for _ in range(QUEUED):
        k += 1
        tx = {
            "from": account,
            "to": Web3.to_checksum_address(OG_INFERENCE_ADDRESS),
            "data": run_model_inference(ZK_MODE, MODEL, _inputs(k)),
            "gas": 1_000_000,
        }
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
    return k, set(engine.records) - before


class Batches:
    """One engine on a py-evm chain; `run()` sends four ZK transactions, waits for the four
    proofs and returns the seconds it took."""

    def __init__(self) -> None:
        self.engine = InferenceEngine(ModelStore())
        self.w3 = Web3(EthereumTesterProvider(new_tester(self.engine)))
        self.account = self.w3.eth.accounts[0]
        self.k = 1000

    def run(self) -> float:
        queue = self.engine.prover_queue
        sent = time.perf_counter()
        self.k, sent_ids = send_zk_batch(self.engine, self.w3, self.account, self.k)
        for inference_id in sent_ids:
            record = queue.wait(inference_id, timeout=1200)
            assert record.settlement == "proved", record.settlement
        return time.perf_counter() - sent

    def timed(self, mode: str, workers: int) -> float:
        queue = self.engine.prover_queue
        queue.stop()  # no children left from the previous batch
        queue.persistent = mode != "per-proof"
        queue.provers = workers
        if mode == "worker-warm":
            self.run()  # untimed: starts the workers' children
        return self.run()

    def peak_rss_mb(self) -> float:
        """Largest peak resident set (VmHWM) of the live long-lived prover children."""
        peaks = [0.0]
        for pid in self.engine.prover_queue.children.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)


def _before_round(tree: Path, workers: int) -> dict[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "OGKIT_MODEL_STORE": str(tree / ".ogkit" / "models"),
    }
    out = subprocess.run(
        [sys.executable, "-c", BEFORE_SCRIPT, str(workers)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {k: v[0] for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def measure_queue(rounds: int, workers: int, before: Path | None = None) -> dict:
    """Seconds per batch, keyed (mode, workers); interleaved rounds."""
    batches = Batches()
    configs = [(mode, count) for mode in MODES for count in (1, workers)]
    seconds: dict[str, list[float]] = {}
    loads = [os.getloadavg()[0]]
    peak = 0.0
    for r in range(rounds):
        if before is not None and r % 2 == 0:
            for count, value in _before_round(before, workers).items():
                seconds.setdefault(f"{BEFORE}/{count}", []).append(value)
        for mode, count in configs if r % 2 == 0 else configs[::-1]:
            seconds.setdefault(f"{mode}/{count}", []).append(batches.timed(mode, count))
            peak = max(peak, batches.peak_rss_mb())
        if before is not None and r % 2 == 1:
            for count, value in _before_round(before, workers).items():
                seconds.setdefault(f"{BEFORE}/{count}", []).append(value)
        loads.append(os.getloadavg()[0])
    batches.engine.prover_queue.stop()
    return {"workers": workers, "seconds": seconds, "loads": loads, "child_peak_mb": peak}


def report_queue(q: dict, baseline_s: float, baseline_note: str) -> list[str]:
    n = q["workers"]
    rows, medians = [], {}
    labels = {
        BEFORE: "before: older checkout (logrows 15, child per proof)",
        "per-proof": "child per proof (logrows 6)",
        "worker-cold": "long-lived child per worker, started by the batch",
        "worker-warm": "long-lived child per worker, already running",
    }
    for mode in (BEFORE, *MODES):
        for count in (1, n):
            samples = q["seconds"].get(f"{mode}/{count}")
            if not samples:
                continue
            s = Summary.of(samples)
            medians[(mode, count)] = s.median
            rows.append(
                f"| {labels[mode]} | {count} | {fmt(s.median, 2)} s | "
                f"{fmt(s.p10, 2)} – {fmt(s.p90, 2)} | {s.n} | {s.median / baseline_s:.2f} |"
            )
    lines = [
        "",
        f"## Prover queue: {QUEUED} queued ZK proofs",
        "",
        f"{QUEUED} ZK transactions sent back to back, timed from the first until all {QUEUED} "
        "records are `proved`; every configuration once per round, rounds interleaved (the "
        "order flips each round). Ratio: median / "
        f"{baseline_s:.2f} s ({baseline_note}).",
        "",
        "| prover | workers | median | p10 – p90 | n | ratio |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    against = [
        f"{mode} with {count} worker(s) {medians[(mode, count)] / medians[(BEFORE, count)]:.2f}×"
        for mode in MODES
        for count in (1, n)
        if (mode, count) in medians and (BEFORE, count) in medians
    ]
    if against:
        lines += ["", "Same run, against the older checkout: " + ", ".join(against) + "."]
    loads = q["loads"]
    lines += [
        f"Load average (1 min) during the run: {min(loads):.2f} – {max(loads):.2f} on "
        f"{os.cpu_count()} CPUs (other sessions share the machine).",
        f"Largest long-lived prover child's peak RSS: {q['child_peak_mb']:.0f} MB (one per "
        "worker).",
    ]
    return lines
