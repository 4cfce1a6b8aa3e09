"""What every section of bench/run.py shares: paths, sample counts, chain names, the machine
description, the models, seeded candles and the 0xF4 counters.

Imported first by every bench/run.py module: it moves to the repo root and sets the env
defaults before anything loads Ape (Ape reads the project and ape-config.yaml from the working
directory).
"""

from __future__ import annotations

import os
import platform
import random
import sys
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.chdir(ROOT)  # Ape loads the project (and ape-config.yaml) from the working directory
os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
os.environ.setdefault("OGKIT_MODEL_STORE", str(ROOT / ".ogkit" / "models"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from eth_abi import decode as abi_decode  # noqa: E402
from eth_abi import encode as abi_encode  # noqa: E402
from stats import Summary  # noqa: E402

from og_examples.install import install_examples  # noqa: E402
from ogkit.models.store import ModelStore  # noqa: E402
from precompiles.addresses import OG_INFERENCE_ADDRESS  # noqa: E402
from precompiles.inference import precompile  # noqa: E402
from precompiles.inference.model_codec import MODEL_INFERENCE_REQUEST, MODEL_OUTPUT  # noqa: E402
from precompiles.inference.types import (  # noqa: E402
    ModelInferenceRequest,
    ModelInput,
    NumberTensor,
)

RESULTS = Path(os.environ.get("BENCH_RESULTS") or HERE / "RESULTS.md")
"""Where bench/run.py writes; BENCH_RESULTS=/tmp/x.md for a trial run that keeps the real one."""
WORK = HERE / ".work"  # raw samples (git-ignored)

OG = "opengradient:local:test"
ETH = "ethereum:local:test"
MODEL = "volatility"
PRICE_DECIMALS = 8

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
"""BENCH_SMOKE=1: every sample count 1–4, to check that the whole run works, in seconds."""


def _count(full: int, smoke: int) -> int:
    return smoke if SMOKE else full


# Sample counts, sized for < ~3 minutes on 2 cores (see RESULTS.md for the actual runtime).
# rebalance samples (each: cold, cached fresh state, cached replay, baseline)
A_SAMPLES = _count(60, 3)
A_WARMUP = _count(3, 1)
ORT_FRESH = _count(30, 2)  # fresh onnxruntime sessions
ORT_WARM = _count(2000, 4)  # warm session runs
HOT_BATCHES, HOT_PER_BATCH = _count(100, 2), _count(10, 2)  # hot-path micro-benchmarks
HOT_COLD = _count(200, 3)  # precompile runs with a new input each (model really runs)
B_ROUNDS, B_TXS = _count(16, 1), _count(20, 3)  # tx/s: rounds x transactions per cell per round
PROFILE_TXS = _count(30, 2)


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    try:
        from eth_keys.backends import get_backend

        keys_backend = type(get_backend()).__name__
    except Exception:  # noqa: BLE001
        keys_backend = "unknown"
    return {
        "nproc (usable CPUs)": str(len(os.sched_getaffinity(0))),
        "CPU model": cpu,
        "OS": platform.platform(),
        "python": platform.python_version(),
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "eth-ape": version("eth-ape"),
        "py-evm": version("py-evm"),
        "eth-tester": version("eth-tester"),
        "eth-keys backend (ecrecover)": f"{keys_backend} (coincurve {version('coincurve')})",
        "load average (1 min) at start": f"{os.getloadavg()[0]:.2f}",
    }


def ensure_models() -> ModelStore:
    """The example models in the store, as `make` and the tests put them there."""
    store = ModelStore()
    install_examples(store)
    return store


class Candles:
    """A random walk of valid hourly candles (low <= open, close <= high), 8-decimal ints.

    Every candle is new, so every 10-candle window (and every model input) is new.
    """

    def __init__(self, seed: int, start: float = 2000.0) -> None:
        self.rng = random.Random(seed)
        self.price = start

    def next(self) -> tuple[int, int, int, int]:
        o = self.price
        c = o * float(np.exp(self.rng.gauss(0.0, 0.006)))
        h = max(o, c) * (1 + self.rng.uniform(0.0, 0.004))
        lo = min(o, c) * (1 - self.rng.uniform(0.0, 0.004))
        self.price = c
        q = 10**PRICE_DECIMALS
        o_, h_, l_, c_ = (int(round(x * q)) for x in (o, h, lo, c))
        return o_, max(h_, o_, c_), min(l_, o_, c_), c_


def request_for(candles: list[tuple[int, int, int, int]]) -> ModelInferenceRequest:
    values = tuple((v, PRICE_DECIMALS) for c in candles for v in c)
    tensor = NumberTensor("open_high_low_close", values, (10, 4))
    return ModelInferenceRequest(0, MODEL, ModelInput((tensor,), ()))


@contextmanager
def count_precompile(engine):
    """Count 0xF4 executions (every call of `precompile.run`, which the chain's precompile
    function looks up per call), the reverted ones, and calls reaching `engine.infer`."""
    box = {"executions": 0, "reverted": 0, "infer": 0}
    original_run, original_infer = precompile.run, engine.infer

    def counting_run(calldata, context, backend, llm_backend=None):
        result = original_run(calldata, context, backend, llm_backend)
        box["executions"] += 1
        box["reverted"] += bool(result.reverted or result.out_of_gas)
        return result

    def counting_infer(*args, **kwargs):
        box["infer"] += 1
        return original_infer(*args, **kwargs)

    precompile.run = counting_run
    engine.infer = counting_infer  # instance attribute, looked up per call
    try:
        yield box
    finally:
        precompile.run = original_run
        del engine.infer


def precompile_output(receipt) -> bytes:
    """ABI encoding of the `ModelOutput` 0xF4 returned in `receipt` (from its event)."""
    want = "0x" + OG_INFERENCE_ADDRESS.hex()
    for log in receipt.logs:
        if str(log["address"]).lower() == want:
            data = bytes(log["data"])
            _, _, output = abi_decode(["string", MODEL_INFERENCE_REQUEST, MODEL_OUTPUT], data)
            return abi_encode([MODEL_OUTPUT], [output])
    raise RuntimeError("no ModelInferenceEvent in the rebalance receipt")


def ms(seconds: list[float]) -> Summary:
    return Summary.of(seconds).scaled(1e3)


def us(seconds: list[float]) -> Summary:
    return Summary.of(seconds).scaled(1e6)
