"""A Loop whose trip count is an input, admitted with a declared bound
(`ogkit models add --max-loop-iterations N`): every call pays for N iterations before it
runs, answers as the model does up to N, and reverts with the gas charged beyond N."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from eth_abi import encode

from ogkit.inference.engine import InferenceEngine
from ogkit.models import stress
from ogkit.models.cost import model_cost
from ogkit.models.manifest import analyse, write_manifest
from ogkit.models.store import ModelStore
from precompiles import gas
from precompiles.fixed_point import from_array
from precompiles.host import CallContext
from precompiles.inference.precompile import run

REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
OUTPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
SELECTOR = bytes.fromhex("7289e9c2")
ME = b"\x22" * 20
LOOP = stress.loop_matmul(None, 64)


def call(trips: int) -> bytes:
    tensors = [("bias", [[0, 0]], [1]), ("n", [[trips, 0]], [])]
    return SELECTOR + encode([REQUEST_TYPE], [(0, "loop", (tensors, []))])


def engine_with(tmp_path, bound: int) -> InferenceEngine:
    store = ModelStore(tmp_path / f"store{bound}")
    cid = store.add(LOOP, "loop")
    write_manifest(store.root, cid, analyse(LOOP, bound))  # what `models add` writes
    return InferenceEngine(store)


def priced(bound: int, *, outputs: int = 1) -> int:
    cost = model_cost(onnx.load_from_string(LOOP), {"bias": (1,), "n": ()}, bound)
    return (
        gas.BASE
        + gas.PER_INPUT_ELEMENT * 2
        + gas.model_gas(len(LOOP))
        + gas.compute_gas(cost.macs, cost.bytes_moved, cost.large_bytes, cost.nodes)
        + gas.PER_OUTPUT_ELEMENT * outputs
    )


def context() -> CallContext:
    return CallContext(ME, ME, 1, 1_700_000_000, 10**8, is_static=True)


def test_calls_up_to_the_bound_answer_as_the_model_and_pay_for_the_bound(tmp_path) -> None:
    engine = engine_with(tmp_path, 8)
    session = ort.InferenceSession(LOOP, providers=["CPUExecutionProvider"])
    for trips in (0, 5, 8):
        result = run(call(trips), context(), engine)
        assert not result.reverted, result.reason
        (expected,) = session.run(
            ["y"], {"bias": np.zeros(1, np.float32), "n": np.array(trips, np.int64)}
        )
        ((_, values, _),), *_ = decode_output(result.output)
        assert values == tuple(tuple(v) for v in from_array(expected))
        assert result.gas_used == priced(8)


def decode_output(output: bytes):
    from eth_abi import decode

    return decode([OUTPUT_TYPE], output)[0]


def test_a_call_over_the_bound_reverts_with_the_gas_charged(tmp_path) -> None:
    result = run(call(9), context(), engine_with(tmp_path, 8))
    assert result.reverted
    assert result.reason == (
        "OGInference: model execution failed: a Loop's trip count is over the model's declared "
        "bound of 8 iterations (ogkit models add --max-loop-iterations)"
    )
    assert result.gas_used == priced(8, outputs=0)


def test_gas_grows_with_the_declared_bound(tmp_path) -> None:
    small = run(call(4), context(), engine_with(tmp_path, 8)).gas_used
    large = run(call(4), context(), engine_with(tmp_path, 64)).gas_used
    assert large - small == priced(64) - priced(8) > 56 * 64**3 // gas.MACS_PER_GAS
