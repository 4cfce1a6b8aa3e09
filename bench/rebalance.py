"""Section (a) of bench/run.py: what `VolatilityVault.rebalance()` costs on the AI chain (cold,
answered from the result cache, and a baseline doing the same without 0xF4), and onnxruntime
alone on the same kind of input."""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: working directory and env defaults before Ape

# isort: split

import time

import numpy as np
import onnxruntime as ort
from ape import networks
from bench_setup import (
    A_SAMPLES,
    A_WARMUP,
    MODEL,
    OG,
    ORT_FRESH,
    ORT_WARM,
    Candles,
    precompile_output,
    request_for,
)
from stats import time_each

from og_examples.models import sample_input
from ogkit.inference import InferenceEngine
from ogkit.models.onnx_runtime import OnnxModel
from ogkit.models.store import ModelStore
from precompiles.host import CallContext
from precompiles.inference import precompile
from precompiles.inference.model_codec import encode_model_inference_request

REBALANCE_KINDS = ("cold", "fresh_cached", "cached", "baseline")
ORDERS = (
    # cold must precede the two cached kinds (it is what puts the result in the cache)
    ("baseline", "cold", "fresh_cached", "cached"),
    ("cold", "baseline", "cached", "fresh_cached"),
    ("cold", "fresh_cached", "baseline", "cached"),
    ("cold", "cached", "fresh_cached", "baseline"),
)


def _deploy_with_candles(owner, C, vault_type, walk: Candles):
    """`vault`, `vault2` and `base`, each fed the same first 10 candles; and that window."""
    vault = owner.deploy(vault_type, MODEL, owner)
    vault2 = owner.deploy(vault_type, MODEL, owner)
    base = owner.deploy(C["VolatilityVaultBaseline"], MODEL, owner)
    contracts = (vault, vault2, base)
    window: list[tuple[int, int, int, int]] = []
    for _ in range(10):
        candle = walk.next()
        window.append(candle)
        for contract in contracts:
            contract.pushCandle(*candle, sender=owner)
    return contracts, window


def bench_rebalance(owner, C, vault_type) -> dict:
    """Cold / cached / baseline rebalance transactions, and gas, on the AI chain.

    Three contracts get the same candles: `vault` (cold, then cached), `vault2` (its first
    rebalance after the new candle, answered from the cache `vault` just filled) and `base`
    (the baseline without 0xF4). The baseline's `ModelOutput` is computed off-chain by a
    private engine (its own cache), so it can run before the cold transaction too.
    """
    private = InferenceEngine(ModelStore())
    context = CallContext(b"\0" * 20, b"\0" * 20, 0, 0, 30_000_000, True)
    with networks.parse_network_choice(OG) as provider:
        engine = provider.inference_engine
        walk = Candles(seed=1)
        contracts, window = _deploy_with_candles(owner, C, vault_type, walk)
        vault, vault2, base = contracts

        times = {k: [] for k in REBALANCE_KINDS}
        gas = {k: [] for k in REBALANCE_KINDS}
        runs = {k: [] for k in REBALANCE_KINDS}
        output_matches = 0
        for i in range(A_WARMUP + A_SAMPLES):
            candle = walk.next()  # one new candle: a new 10-candle window, a new model input
            window = window[1:] + [candle]
            for contract in contracts:
                contract.pushCandle(*candle, sender=owner)
            calldata = precompile.RUN_MODEL_INFERENCE + encode_model_inference_request(
                request_for(window)
            )
            encoded = precompile.run(calldata, context, private).output
            actions = {
                "cold": lambda: vault.rebalance(sender=owner),
                "fresh_cached": lambda: vault2.rebalance(sender=owner),
                "cached": lambda: vault.rebalance(sender=owner),
                "baseline": lambda e=encoded: base.rebalanceWithoutInference(e, sender=owner),
            }
            # No gc.collect() here: the first transaction after one runs ~2 ms slower.
            receipts = {}
            for kind in ORDERS[i % len(ORDERS)]:
                before = engine.model_runs
                t0 = time.perf_counter_ns()
                receipts[kind] = actions[kind]()
                elapsed = (time.perf_counter_ns() - t0) * 1e-9
                if i >= A_WARMUP:
                    times[kind].append(elapsed)
                    gas[kind].append(receipts[kind].gas_used)
                    runs[kind].append(engine.model_runs - before)
            if i >= A_WARMUP:
                output_matches += precompile_output(receipts["cold"]) == encoded

        states = {
            name: (c.forecastValue(), c.riskyAllocationBps(), c.rebalanceCount())
            for name, c in (("vault", vault), ("vault2", vault2), ("base", base))
        }
        return {
            **times,
            "runs": {k: sorted(set(v)) for k, v in runs.items()},
            "gas": {k: int(np.median(v)) for k, v in gas.items()},
            "states": states,
            "output_matches": output_matches,
            "output_bytes": len(encoded),
        }


def bench_onnxruntime(model_bytes: bytes) -> dict:
    feed = sample_input(MODEL)
    options = ort.SessionOptions()  # the engine's options (ogkit/models/onnx_runtime.py)
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3

    def fresh():
        s = ort.InferenceSession(
            model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
        )
        s.run(None, feed)

    fresh_times = time_each(fresh, ORT_FRESH, warmup=2)
    session = ort.InferenceSession(
        model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
    )
    warm_times = time_each(lambda: session.run(None, feed), ORT_WARM, warmup=20)
    engine_model = OnnxModel(model_bytes, b"bench")
    engine_times = time_each(lambda: engine_model.run(feed), ORT_WARM // 2, warmup=20)
    return {"fresh": fresh_times, "warm": warm_times, "engine_warm": engine_times}
