"""HACA latency: a transaction in TEE and ZK mode against VANILLA, with the settlement service
running beside the chain as it does for users; writes its section of bench/RESULTS.md.

    cd <repo> && .venv/bin/python bench/haca.py [--rounds 15]

A benchmark, not a test: it measures and reports, it never fails on a timing.

Each round sends one transaction per mode (the order rotates) calling 0xF4 directly with a
new input for `upstream_demo`, so every one runs the model; latency is send → receipt on the
in-process AI chain (auto-mined). Meanwhile the service settles TEE results and the prover
queue proves ZK ones in a child process — the user does not wait for either, but they share
the machine's two cores, so their cost shows up in every mode alike. Settlement latency
(transaction sent → record settled) and the settlement transactions' gas are reported too.
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
from sections import write_section  # noqa: E402
from stats import Summary, fmt  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402

from og_examples.install import install_examples  # noqa: E402
from og_examples.models import sample_input  # noqa: E402
from ogkit import zk  # noqa: E402
from ogkit.chain import new_tester  # noqa: E402
from ogkit.inference.engine import InferenceEngine  # noqa: E402
from ogkit.inference.receipts import decode_inference_event  # noqa: E402
from ogkit.models.store import ModelStore  # noqa: E402
from ogkit.settlement import SettlementService  # noqa: E402
from precompiles.addresses import OG_INFERENCE_ADDRESS  # noqa: E402

MODEL = "upstream_demo"
MODES = {"VANILLA": 0, "ZK": 1, "TEE": 2}


def calldata(mode: int, k: int) -> bytes:
    inputs = {n: (v * (1 + k / 1000)).astype(v.dtype) for n, v in sample_input(MODEL).items()}
    return run_model_inference(mode, MODEL, inputs)  # a new input, inside ZK calibration


class Chain:
    """The in-process AI chain with the settlement service beside it, as for users."""

    def __init__(self, store: ModelStore) -> None:
        self.engine = InferenceEngine(store)
        tester = new_tester(self.engine)
        self.w3 = Web3(EthereumTesterProvider(tester))
        self.settled_at: dict[str, float] = {}
        self.engine.on_settlement.append(
            lambda r: (
                self.settled_at.setdefault(r.inference_id, time.perf_counter())
                if r.is_final
                else None
            )
        )
        self.service = SettlementService(
            self.engine,
            self.w3,
            receipt_timeout=5.0,
            chain_lock=tester.backend.chain_lock,
            idle_seconds=tester.backend.idle_seconds,
        ).start()


class Rounds:
    """Transactions calling 0xF4, one per mode per round; latency and gas of the kept ones."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.sender = w3.eth.accounts[0]
        self.to = Web3.to_checksum_address(OG_INFERENCE_ADDRESS)
        self.latency: dict[str, list[float]] = {m: [] for m in MODES}
        self.sent: dict[str, tuple[str, float]] = {}
        self.gas: dict[str, list[int]] = {m: [] for m in MODES}
        self.k = 0

    def send(self, mode: str, keep: bool) -> None:
        w3, sender, to = self.w3, self.sender, self.to
        self.k += 1
        data = calldata(MODES[mode], self.k)
        t0 = time.perf_counter()
        tx_hash = w3.eth.send_transaction({"from": sender, "to": to, "data": data, "gas": 400_000})
        receipt = w3.eth.get_transaction_receipt(tx_hash)
        elapsed = time.perf_counter() - t0
        assert receipt["status"] == 1
        (log,) = receipt["logs"]
        inference_id = decode_inference_event(bytes(log["data"])).inference_id
        if keep:
            self.latency[mode].append(elapsed)
            self.gas[mode].append(receipt["gasUsed"])
            self.sent[inference_id] = (mode, t0)

    def run(self, rounds: int) -> None:
        print("warm-up …", flush=True)
        for _ in range(3):
            for mode in MODES:
                self.send(mode, keep=False)
        print(f"{rounds} rounds …", flush=True)
        names = list(MODES)
        for r in range(rounds):
            for mode in names[r % 3 :] + names[: r % 3]:
                self.send(mode, keep=True)


def settle(chain: Chain, sent: dict[str, tuple[str, float]]) -> dict[str, dict]:
    """Wait for every ZK and TEE result to settle; latency, outcome and gas per mode."""
    print("waiting for settlement …", flush=True)
    engine = chain.engine
    for inference_id, (mode, _) in sent.items():
        if mode != "VANILLA":
            engine.wait_for_settlement(inference_id, timeout=900)
    chain.service.stop()
    latency: dict[str, list[float]] = {"ZK": [], "TEE": []}
    statuses: dict[str, set[str]] = {"ZK": set(), "TEE": set()}
    settle_gas: dict[str, set[int]] = {"ZK": set(), "TEE": set()}
    for inference_id, (mode, t0) in sent.items():
        if mode == "VANILLA":
            continue
        record = engine.records[inference_id]
        statuses[mode].add(record.settlement if "failed" in record.settlement else "settled")
        latency[mode].append(chain.settled_at[inference_id] - t0)
        if record.settlement_tx:
            receipt = chain.w3.eth.get_transaction_receipt(record.settlement_tx)
            settle_gas[mode].add(receipt["gasUsed"])
    return {"latency": latency, "statuses": statuses, "gas": settle_gas}


def latency_lines(rounds: Rounds, n_rounds: int, runtime: float) -> list[str]:
    latency, gas = rounds.latency, rounds.gas
    s = {m: Summary.of(v) for m, v in latency.items()}
    base = np.array(latency["VANILLA"])
    lines = [
        "## HACA: transaction latency in ZK and TEE mode against VANILLA",
        "",
        f"Written by `bench/haca.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {n_rounds} rounds (one transaction "
        f"per mode each, order rotating), {runtime:.0f} s in all, load average at end "
        f"{os.getloadavg()[0]:.2f}.",
        "",
        "A transaction calls 0xF4 with a new `upstream_demo` input (the model runs every time); "
        "latency is send → receipt on the in-process chain while the settlement service and "
        "the ZK prover (child processes) work beside it, as for a user.",
        "",
        "| mode | median latency (ms) | p10 – p90 | ratio to VANILLA (median of paired rounds) |"
        " gas |",
        "|---|---|---|---|---|",
    ]
    for mode in MODES:
        ratio = Summary.of(np.array(latency[mode]) / base)
        lines.append(
            f"| {mode} | {fmt(s[mode].median * 1e3)} | {fmt(s[mode].p10 * 1e3)} – "
            f"{fmt(s[mode].p90 * 1e3)} | {fmt(ratio.median, 3)} (p10–p90 {fmt(ratio.p10, 3)} – "
            f"{fmt(ratio.p90, 3)}) | {int(np.median(gas[mode])):,} |"
        )
    return lines


def settlement_lines(settled: dict[str, dict]) -> list[str]:
    lines = [
        "",
        "The target is ≤ 1.1× VANILLA: the caller gets the answer in the same transaction and "
        "never waits for the attestation check or the proof.",
        "",
        "| settlement (after the transaction) | median | p10 – p90 | n | outcome | gas |",
        "|---|---|---|---|---|---|",
    ]
    for mode in ("TEE", "ZK"):
        t = Summary.of(settled["latency"][mode])
        lines.append(
            f"| {mode}: sent → settled on chain | {fmt(t.median, 2)} s | {fmt(t.p10, 2)} – "
            f"{fmt(t.p90, 2)} s | {t.n} | {', '.join(sorted(settled['statuses'][mode]))} | "
            f"{', '.join(f'{g:,}' for g in sorted(settled['gas'][mode]))} |"
        )
    lines += [
        "",
        "TEE settles with `InferenceSettlementRelay.settleIndividual` (registry + 0x900 "
        "RSA-PSS check on chain); ZK with `settleProof` once the prover queue has proved "
        "the inference, one proof per settlement pass (the service waits up to 1 s for a "
        "quiet chain before each pass, and this bench sends back to back). Proving, "
        "verifying and settling times and the verifier's gas: [RESULTS-zk.md](RESULTS-zk.md) "
        "(`bench/zk.py`).",
    ]
    zk_results = HERE / "RESULTS-zk.md"
    if zk_results.exists():
        rows = [ln for ln in zk_results.read_text().splitlines() if ln.startswith("| ")]
        if rows:
            lines += ["", "From the last `bench/zk.py` run:", "", *rows]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()

    store = ModelStore()
    install_examples(store)
    print("zk setup (reused if present) …", flush=True)
    zk.setup(store, MODEL)
    chain = Chain(store)
    rounds = Rounds(chain.w3)
    rounds.run(args.rounds)
    settled = settle(chain, rounds.sent)
    runtime = time.perf_counter() - started

    lines = latency_lines(rounds, args.rounds, runtime) + settlement_lines(settled)
    body = "\n".join(lines) + "\n"
    write_section(HERE / "RESULTS.md", "haca", body)
    print(body)


if __name__ == "__main__":
    main()
