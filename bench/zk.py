"""ZK mode figures for the example model (`upstream_demo`); writes bench/RESULTS-zk.md.

    cd <repo> && SOLCX_BINARY_PATH=$PWD/.solcx OGKIT_MODEL_STORE=$PWD/.ogkit/models \
        .venv/bin/python bench/zk.py [--runs 5]

A benchmark, not a test: it measures and reports, it never fails on a timing.

* setup: `zk.setup` (reused if the store has it; then the manifest's own step timings);
* proving: `zk.prove` in this process, and `prove_isolated` (the prover queue's way: a child
  process, because ezkl holds the GIL) — wall time per proof;
* verifying off chain: `zk.verify` (ezkl, the full node's check);
* on chain, on the AI chain (py-evm): gas of deploying the `Halo2Verifier`, of a direct
  `verifyProof` transaction and of `ZkInferenceSettlement.settleProof` as `ZkSettlement`
  submits it — for ZK inferences sent to 0xF4 as real transactions, proved by the engine's
  prover queue (its latency, transaction to "proved", is reported too);
* proving in a long-lived child (`ogkit.zk.worker.ProverProcess`, what the queue's workers
  use), already started — wall time per proof;
* the prover queue: four ZK transactions sent back to back, time until all four records are
  proved, per prover mode and worker count, in interleaved rounds (`bench/zk_queue.py`); with
  `--before DIR`, an older checkout timed in the same rounds. `--queue-only` runs just that;
* end to end: four ZK transactions until all four are settled on chain, with the settlement
  service running, on THE chain (BN254 precompiles by revm) and on the same chain with py-evm's
  own py_ecc ones, in interleaved rounds (`bench/zk_settled.py`). `--settled-only` runs just
  that (and records its scoreboard figure).

Inputs: the model's sample input scaled by 1 + k/100 (inside the calibration range), one per
run, so every run is a new inference (the result cache cannot answer it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
os.environ.setdefault("OGKIT_MODEL_STORE", str(ROOT / ".ogkit" / "models"))

import numpy as np  # noqa: E402
from calls import run_model_inference  # noqa: E402
from figures import figure, record, recorded  # noqa: E402
from stats import Summary, fmt  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402
from zk_queue import QUEUED, measure_queue, report_queue  # noqa: E402
from zk_settled import bn254_tester, measure_settled, report_settled  # noqa: E402

from og_examples.install import install_examples  # noqa: E402
from og_examples.models import sample_input  # noqa: E402
from ogkit import zk  # noqa: E402
from ogkit.chain import new_tester  # noqa: E402
from ogkit.contracts import load as load_contract  # noqa: E402
from ogkit.inference.engine import InferenceEngine  # noqa: E402
from ogkit.inference.prover_queue import default_provers  # noqa: E402
from ogkit.models.store import ModelStore  # noqa: E402
from ogkit.settlement import ZkSettlement  # noqa: E402
from ogkit.zk.isolated import Children, prove_isolated  # noqa: E402
from ogkit.zk.worker import ProverProcess  # noqa: E402
from precompiles.addresses import OG_INFERENCE_ADDRESS  # noqa: E402

RESULTS = HERE / "RESULTS-zk.md"
MODEL = "upstream_demo"
ZK_MODE = 1
BASELINE_S = 11.04
BASELINE_NOTE = "4 queued proofs, 1 worker, before the logrows and prover-child changes: "
BASELINE_NOTE += "bench/zk.py at commit 1c85bfa, 2026-12-05 00:17 UTC"


def _inputs(k: int) -> dict[str, np.ndarray]:
    return {n: (v * (1 + k / 100)).astype(v.dtype) for n, v in sample_input(MODEL).items()}


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _zk_call(inputs: dict[str, np.ndarray]) -> bytes:
    return run_model_inference(ZK_MODE, MODEL, inputs)


def measure(runs: int) -> dict[str, object]:
    store = ModelStore()
    install_examples(store)
    out, artifacts = _setup(store)
    proving = _proving(artifacts, runs)
    out.update(proving)
    out.update(_verifier_gas(store, artifacts, proving["proofs"]))
    out.update(_queue_and_settlement(store, runs))
    out["settle_py_ecc_s"] = _queue_and_settlement(store, runs, native=False)["settle_s"]
    del out["proofs"]
    return out


def _setup(store: ModelStore) -> tuple[dict[str, object], zk.ZkArtifacts]:
    """The model's ZK setup (timed only when it had to be made)."""
    try:
        artifacts = zk.load(store, MODEL)
        setup_s, reused = float("nan"), True
    except zk.ZkError:
        setup_s, artifacts = _timed(lambda: zk.setup(store, MODEL))
        reused = False
    out: dict[str, object] = {
        "setup_s": setup_s,
        "setup_reused": reused,
        "setup_steps_s": artifacts.manifest.get("timings_s", {}),
        "logrows": artifacts.logrows,
        "decomposition": artifacts.manifest.get("decomposition"),
    }
    return out, artifacts


def _proving(artifacts: zk.ZkArtifacts, runs: int) -> dict[str, list]:
    """One proof in process, in a new child, in a running child; verifying off chain."""
    prove_s, isolated_s, worker_s, verify_s, proofs = [], [], [], [], []
    children = Children()
    worker = ProverProcess(children)
    worker.prove(artifacts, _inputs(50))  # untimed: starts the child
    for k in range(runs):
        seconds, proof = _timed(lambda k=k: zk.prove(artifacts, _inputs(k)))
        prove_s.append(seconds)
        proofs.append(proof)
        isolated_s.append(_timed(lambda k=k: prove_isolated(artifacts, _inputs(k)))[0])
        worker_s.append(_timed(lambda k=k: worker.prove(artifacts, _inputs(k)))[0])
    children.close()
    worker.close()
    for proof in proofs * 4:
        seconds, ok = _timed(lambda proof=proof: zk.verify(artifacts, proof))
        assert ok
        verify_s.append(seconds)
    return {
        "prove_s": prove_s,
        "isolated_s": isolated_s,
        "worker_s": worker_s,
        "verify_s": verify_s,
        "proofs": proofs,
    }


def _verifier_gas(store: ModelStore, artifacts: zk.ZkArtifacts, proofs: list) -> dict:
    """The Halo2Verifier's deployment and the gas of `verifyProof` for each proof."""
    engine = InferenceEngine(store)
    w3 = Web3(EthereumTesterProvider(new_tester(engine)))
    account = w3.eth.accounts[0]
    built = artifacts.verifier()
    deploy = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": account, "data": built["bytecode"], "gas": 8_000_000})
    )
    verifier = deploy["contractAddress"]
    verify_gas = []
    for proof in proofs:
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction(
                {
                    "from": account,
                    "to": verifier,
                    "data": zk.evm_calldata(artifacts, proof),
                    "gas": 2_000_000,
                }
            )
        )
        assert receipt["status"] == 1
        verify_gas.append(receipt["gasUsed"])
    return {
        "verifier_deploy_gas": deploy["gasUsed"],
        "verifier_runtime_bytes": built["runtimeSize"],
        "verify_gas": verify_gas,
    }


def _queue_and_settlement(store: ModelStore, runs: int, native: bool = True) -> dict:
    """ZK transactions through the queue to `proved`, then settled on chain; `native=False`:
    on a chain with py-evm's own (py_ecc) BN254 precompiles, as before `ogkit.chain.bn254`."""
    engine = InferenceEngine(store)
    w3 = Web3(EthereumTesterProvider(bn254_tester(engine, native)))
    account = w3.eth.accounts[0]
    settlement_artifact = load_contract("ZkInferenceSettlement")
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": account, "data": settlement_artifact.bytecode})
    )
    service = ZkSettlement(engine, w3, receipt["contractAddress"], account)
    queue_s, settle_s, settle_gas, inference_tx_gas = [], [], [], []
    for k in range(runs):
        before = set(engine.records)
        sent = time.perf_counter()
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction(
                {
                    "from": account,
                    "to": Web3.to_checksum_address(OG_INFERENCE_ADDRESS),
                    "data": _zk_call(_inputs(100 + k)),
                    "gas": 1_000_000,
                }
            )
        )
        inference_tx_gas.append(receipt["gasUsed"])
        (inference_id,) = set(engine.records) - before
        record = engine.prover_queue.wait(inference_id, timeout=600)
        queue_s.append(time.perf_counter() - sent)
        assert record.settlement == "proved", record.settlement
        started = time.perf_counter()
        (done,) = [s for s in service.settle_pending() if s.inference_id == inference_id]
        if k > 0:  # the first pass also deploys and registers the model's verifier
            settle_s.append(time.perf_counter() - started)
        assert done.status.startswith("settled "), done.status
        settled = w3.eth.get_transaction_receipt(done.status.split()[1])
        settle_gas.append(settled["gasUsed"])
    return {
        "settle_gas": settle_gas,
        "settle_s": settle_s,
        "inference_tx_gas": inference_tx_gas,
        "queue_s": queue_s,
    }


def report(m: dict, runs: int, runtime: float) -> str:
    def line(label: str, samples: list[float], unit: str, scale: float = 1.0, digits: int = 2):
        s = Summary.of(samples).scaled(scale)
        return (
            f"| {label} | {fmt(s.median, digits)} {unit} | "
            f"{fmt(s.p10, digits)} – {fmt(s.p90, digits)} | {s.n} |"
        )

    steps = ", ".join(f"{k} {v:g} s" for k, v in m["setup_steps_s"].items())
    setup = (
        "reused from the store (first run's steps: " + steps + ")"
        if m["setup_reused"]
        else f"{m['setup_s']:.1f} s ({steps})"
    )
    return "\n".join(
        [
            "# ZK mode: proving, verifying and settling `upstream_demo`",
            "",
            f"Written by `bench/zk.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"ezkl {zk.artifacts.ezkl_version()}; {runs} runs, {runtime:.0f} s in all.",
            "",
            f"Circuit: logrows {m['logrows']}, range-check decomposition "
            f"{m['decomposition']}; setup {setup}.",
            "",
            "| what | median | p10 – p90 | n |",
            "|---|---|---|---|",
            line("prove, `zk.prove` in process", m["prove_s"], "s"),
            line("prove, `prove_isolated` (a new child process per proof)", m["isolated_s"], "s"),
            line(
                "prove, `ProverProcess.prove` (running child, as the queue does)",
                m["worker_s"],
                "s",
            ),
            line("verify off chain, `zk.verify` (ezkl)", m["verify_s"], "ms", 1e3, 1),
            line("prover queue: ZK transaction sent -> record `proved`", m["queue_s"], "s"),
            line(
                "settle a proved record on chain (off-chain check + `settleProof` tx: py-evm "
                "runs the Halo2Verifier, revm its ecPairing and ecMul calls)",
                m["settle_s"],
                "s",
            ),
            line(
                "same, before: py-evm's own ecPairing and ecMul (py_ecc, pure Python)",
                m["settle_py_ecc_s"],
                "s",
            ),
            line("`verifyProof` transaction gas (Halo2Verifier)", m["verify_gas"], "gas", 1, 0),
            line("`settleProof` transaction gas (via ZkSettlement)", m["settle_gas"], "gas", 1, 0),
            line("the ZK inference transaction itself (0xF4)", m["inference_tx_gas"], "gas", 1, 0),
            "",
            f"Halo2Verifier: {m['verifier_runtime_bytes']:,} B runtime, deployed for "
            f"{m['verifier_deploy_gas']:,} gas (once per model). Gas is what py-evm charges "
            "(the AI chain: Prague rules, EIP-1108 prices for ecAdd/ecMul/ecPairing).",
        ]
        + report_queue(m["queue"], BASELINE_S, BASELINE_NOTE)
        + report_settled(m["settled"], BASELINE_S, BASELINE_NOTE)
        + [""]
    )


def record_figures(queue: dict | None, settled: dict) -> None:
    """4 queued proofs, proved and settled, against the time they took before issue 13
    (BASELINE_S), for bench/scoreboard.py; without `queue` (--settled-only), the proved rows
    are kept from the last full run."""
    n, rows = settled["workers"], []
    if queue is None:
        last = [e for e in recorded() if e["bench"] == "zk"]
        rows = [r for e in last for r in e["rows"] if "settled" not in r["label"]]
    else:
        for mode, what in (("worker-cold", "prover children started by the batch"),
                           ("worker-warm", "prover children already running")):  # fmt: skip
            samples = queue["seconds"].get(f"{mode}/{n}", [])
            ratio = Summary.of([x / BASELINE_S for x in samples])
            label = f"{QUEUED} queued ZK proofs / {BASELINE_S:.2f} s before ({n} workers, {what})"
            rows.append(figure(label, ratio, "≤ 0.6×", ratio.median <= 0.6))
    ratio = Summary.of([x / BASELINE_S for x in settled["seconds"]["revm"]])
    label = f"{QUEUED} queued ZK proofs settled on chain / {BASELINE_S:.2f} s ({n} workers)"
    rows.append(figure(label, ratio, "≤ 0.6×", ratio.median <= 0.6))
    record("zk", rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the queue comparison")
    parser.add_argument(
        "--before",
        type=Path,
        help="an older checkout (with its own .ogkit store and ZK setup) to time in the same "
        "rounds of the queue comparison",
    )
    parser.add_argument(
        "--queue-only", action="store_true", help="only the queue section; print, write nothing"
    )
    parser.add_argument(
        "--settled-only",
        action="store_true",
        help="only the end-to-end settled section; print it and record its scoreboard figure",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    workers = max(2, default_provers())
    if args.queue_only:
        zk.load(ModelStore(), MODEL)  # the setup must exist already
        queue = measure_queue(args.rounds, workers, args.before)
        print("\n".join(report_queue(queue, BASELINE_S, BASELINE_NOTE)))
        return
    if args.settled_only:
        zk.load(ModelStore(), MODEL)
        settled = measure_settled(args.rounds, workers)
        print("\n".join(report_settled(settled, BASELINE_S, BASELINE_NOTE)))
        record_figures(None, settled)
        return
    measured = measure(args.runs)
    measured["queue"] = measure_queue(args.rounds, workers, args.before)
    measured["settled"] = measure_settled(args.rounds, workers)
    text = report(measured, args.runs, time.perf_counter() - started)
    RESULTS.write_text(text)
    record_figures(measured["queue"], measured["settled"])
    print(text)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
