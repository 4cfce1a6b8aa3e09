"""bench/zk.py's end-to-end section: four ZK transactions sent back to back on the in-process
chain, with the settlement service beside it as for users, timed from the first send until
all four records are SETTLED on chain (proved, checked off chain, `settleProof` mined).

Two chains in the same interleaved rounds (the order flips each round): THE precompile map,
whose BN254 precompiles (0x06–0x08) revm computes (`ogkit.chain.bn254`), and the same chain
built with py-evm's own pure-Python (py_ecc) functions at 0x06–0x08: the "before". Each has
its own engine, prover workers (children already running: one untimed batch first, which also
deploys the settlement contracts and the model's verifier) and settlement service.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from typing import Any
from unittest import mock

from stats import Summary, fmt
from web3 import EthereumTesterProvider, Web3
from zk_queue import QUEUED, send_zk_batch

from ogkit.chain import assembly, new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from ogkit.settlement import SettlementService

MAPS = ("revm", "py_ecc")
LABELS = {
    "revm": "BN254 precompiles by revm (`ogkit.chain.bn254`)",
    "py_ecc": "py-evm's own BN254 precompiles (py_ecc, pure Python): before",
}


def bn254_tester(engine: InferenceEngine, native: bool = True) -> Any:
    """`new_tester(engine)`: THE chain (BN254 by revm), or with `native=False` the same chain
    with py-evm's own py_ecc functions at 0x06–0x08, the "before"."""
    with nullcontext() if native else mock.patch.object(assembly, "NATIVE_BN254", {}):
        return new_tester(engine)


class SettledBatches:
    """One chain (BN254 by revm, or py-evm's py_ecc), its engine with `workers` long-lived
    prover workers, and the settlement service; `run()` times one batch."""

    def __init__(self, bn254: str, workers: int, k: int) -> None:
        self.engine = InferenceEngine(ModelStore())
        self.engine.prover_queue.persistent = True
        self.engine.prover_queue.provers = workers
        tester = bn254_tester(self.engine, native=bn254 == "revm")
        self.w3 = Web3(EthereumTesterProvider(tester))
        self.account = self.w3.eth.accounts[0]
        self.service = SettlementService(
            self.engine,
            self.w3,
            chain_lock=tester.backend.chain_lock,
            idle_seconds=tester.backend.idle_seconds,
        ).start()
        self.k = k
        self.run()  # untimed: contracts, the verifier, the prover children

    def run(self) -> float:
        sent = time.perf_counter()
        self.k, sent_ids = send_zk_batch(self.engine, self.w3, self.account, self.k)
        for inference_id in sent_ids:
            record = self.service.wait_for_settlement(inference_id, timeout=600)
            assert record.settlement.startswith("settled "), record.settlement
        return time.perf_counter() - sent

    def close(self) -> None:
        self.service.stop()
        self.engine.prover_queue.stop()


def measure_settled(rounds: int, workers: int) -> dict:
    """Seconds per batch of four, per map; interleaved rounds."""
    chains = {name: SettledBatches(name, workers, 5000 + 1000 * i) for i, name in enumerate(MAPS)}
    seconds: dict[str, list[float]] = {name: [] for name in MAPS}
    loads = [os.getloadavg()[0]]
    try:
        for r in range(rounds):
            for name in MAPS if r % 2 == 0 else MAPS[::-1]:
                seconds[name].append(chains[name].run())
            loads.append(os.getloadavg()[0])
    finally:
        for chain in chains.values():
            chain.close()
    return {"workers": workers, "seconds": seconds, "loads": loads}


def report_settled(s: dict, baseline_s: float, baseline_note: str) -> list[str]:
    rows, medians = [], {}
    for name in MAPS:
        summary = Summary.of(s["seconds"][name])
        medians[name] = summary.median
        rows.append(
            f"| {LABELS[name]} | {s['workers']} | {fmt(summary.median, 2)} s | "
            f"{fmt(summary.p10, 2)} – {fmt(summary.p90, 2)} | {summary.n} | "
            f"{summary.median / baseline_s:.2f} |"
        )
    loads = s["loads"]
    return [
        "",
        f"## {QUEUED} queued ZK proofs settled on chain",
        "",
        f"{QUEUED} ZK transactions sent back to back on the in-process chain with the settlement "
        f"service running (as for users), timed from the first send until all {QUEUED} records "
        "are settled on chain (`settleProof` mined); prover children already running. Both "
        "chains in the same rounds, the order flipping each round. Ratio: median / "
        f"{baseline_s:.2f} s ({baseline_note}).",
        "",
        "| chain | workers | median | p10 – p90 | n | ratio |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"revm against py_ecc in the same run: {medians['revm'] / medians['py_ecc']:.2f}×. "
        f"Load average (1 min) during the run: {min(loads):.2f} – {max(loads):.2f} on "
        f"{os.cpu_count()} CPUs (other sessions share the machine).",
    ]
