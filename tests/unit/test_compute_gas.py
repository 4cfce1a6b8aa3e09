"""0xF4 gas pays for compute (issue 12, item 1): the static cost of a model for the call's
input shapes, charged before it runs; unboundable models refused; memory, compute and time
caps that revert with the gas charged. Real onnxruntime, real models built with onnx.helper."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from og_examples.models import EXAMPLES, sample_input
from ogkit.inference.engine import InferenceEngine
from ogkit.models import stress
from ogkit.models.cost import Unmeterable, model_cost
from ogkit.models.manifest import analyse, read_manifest
from ogkit.models.meter import CostMeter
from ogkit.models.onnx_runtime import OnnxModel
from ogkit.models.store import ModelStore
from precompiles import gas, limits
from precompiles.host import CallContext, ComputeCost, ModelExecutionError
from precompiles.inference.precompile import run

REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
SELECTOR = bytes.fromhex("7289e9c2")
ME = b"\x11" * 20
MATMUL_512 = 512**3


def request(model: str, name: str, values: list[int], shape: list[int]) -> bytes:
    tensor = (name, [[v, 0] for v in values], shape)
    return SELECTOR + encode([REQUEST_TYPE], [(0, model, ([tensor], []))])


def context(static: bool = True) -> CallContext:
    return CallContext(ME, ME, 1, 1_700_000_000, 50_000_000, is_static=static)


def fixed_gas(values: int, model: bytes, outputs: int = 1) -> int:
    """Every 0xF4 term but compute, for a static call (no log) with integer inputs."""
    return (
        gas.BASE
        + gas.PER_INPUT_ELEMENT * values
        + gas.model_gas(len(model))
        + gas.PER_OUTPUT_ELEMENT * outputs
    )


def of(cost: ComputeCost) -> int:
    return gas.compute_gas(cost.macs, cost.bytes_moved, cost.large_bytes, cost.nodes)


@pytest.fixture
def store(tmp_path) -> ModelStore:
    return ModelStore(tmp_path / "store")


# --- the documented formula, on the examples ---------------------------------------------------


def test_compute_gas_formula() -> None:
    assert (gas.MACS_PER_GAS, gas.BYTES_PER_GAS, gas.LARGE_BYTES_PER_GAS, gas.PER_NODE_RUN) == (
        20_000,
        16_000,
        4_000,
        3,
    )
    assert gas.compute_gas(0, 0, 0, 0) == 0
    assert gas.compute_gas(20_000, 16_000, 4_000, 1) == 1 + 1 + 1 + 3
    assert gas.compute_gas(20_001, 16_001, 4_001, 2) == 2 + 2 + 2 + 6


EXAMPLE_COSTS = {
    "volatility": (ComputeCost(341, 2_252, 16, 320, 0), 50),
    "credit_risk": (ComputeCost(2_442, 268, 4, 52, 0), 14),
    "sentiment": (ComputeCost(229_920, 5_572, 6, 1_400, 0), 31),
    "upstream_demo": (ComputeCost(2, 80, 4, 16, 0), 14),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_costs_and_compute_gas(name: str) -> None:
    shapes = {k: tuple(v.shape) for k, v in sample_input(name).items()}
    cost = CostMeter(EXAMPLES[name].build())(shapes)
    assert (cost, of(cost)) == EXAMPLE_COSTS[name]


def test_upstream_demo_call_pays_exactly_the_formula(store: ModelStore) -> None:
    data = EXAMPLES["upstream_demo"].build()
    store.add(data, "demo")
    result = run(request("demo", "input", [7, 9], [2]), context(), InferenceEngine(store))
    assert not result.reverted, result.reason
    # 25,000 + 2 inputs x 50 + 1 KiB x 10 + (2 MACs -> 1, 80 bytes -> 1, 4 nodes -> 12) + 50
    assert result.gas_used == fixed_gas(2, data) + 14 == 25_174


# --- the Loop: refused, or priced per iteration ----------------------------------------


def test_loop_with_an_input_trip_count_is_refused() -> None:
    verdict = analyse(stress.loop_matmul(None))
    assert not verdict.admitted
    assert verdict.reason == (
        "the Loop runs a number of times that is not a constant of the model (an input or a "
        "computed value), so its cost cannot be known before it runs; declare a bound with "
        "`ogkit models add --max-loop-iterations N` (a Loop of the main graph with a trip count "
        "input only)"
    )


def test_loop_in_a_store_without_add_reverts_with_gas(store: ModelStore) -> None:
    data = stress.loop_matmul(None)
    store.add(data, "loop")  # from code: no `ogkit models add` refused it
    engine = InferenceEngine(store)
    result = run(request("loop", "bias", [0], [1]), context(), engine)
    assert result.reverted and engine.model_runs == 0
    assert result.reason.startswith(
        "OGInference: cannot load model loop: the model is refused: the Loop runs a number"
    )
    assert result.gas_used == gas.BASE + gas.PER_INPUT_ELEMENT * 1
    cid = store.resolve("loop").cid
    assert read_manifest(store.root, cid).admitted is False  # made lazily, kept


@pytest.mark.parametrize("trips", [1, 10, 40])
def test_constant_loop_costs_its_body_times_its_count(trips: int) -> None:
    cost = model_cost(onnx.load_from_string(stress.loop_matmul(trips)), {"bias": (1,)})
    assert cost.macs == trips * MATMUL_512 + 512 * 512  # the body's MatMul, then ReduceSum
    assert cost.nodes == 2 * trips + 9  # the body's two, the model's nine


def test_loop_gas_grows_with_its_trip_count(store: ModelStore) -> None:
    engine = InferenceEngine(store)
    used = {}
    for trips in (1, 10, 40):
        data = stress.loop_matmul(trips)
        store.add(data, f"loop{trips}")
        result = run(request(f"loop{trips}", "bias", [0], [1]), context(), engine)
        assert not result.reverted, result.reason
        cost = model_cost(onnx.load_from_string(data), {"bias": (1,)})
        assert result.gas_used == fixed_gas(1, data) + of(cost)
        used[trips] = result.gas_used
    assert used[1] < used[10] < used[40]
    assert used[40] - used[10] >= 30 * MATMUL_512 // gas.MACS_PER_GAS  # >= 201,326 gas


# --- memory ------------------------------------------------------------------------------------


def test_a_gigabyte_allocation_is_refused_at_add() -> None:
    data = stress.allocation(256 << 20)
    assert len(data) < 300
    verdict = analyse(data)
    assert not verdict.admitted
    assert verdict.reason.startswith(
        "its smallest call needs 1,024.0 MiB of tensors at once, over the 256 MiB limit"
    )


def test_a_gigabyte_allocation_in_a_store_reverts_with_gas(store: ModelStore) -> None:
    store.add(stress.allocation(256 << 20), "alloc")
    engine = InferenceEngine(store)
    result = run(request("alloc", "x", [1], [1]), context(), engine)
    assert result.reverted and engine.model_runs == 0
    assert "over the 256 MiB limit" in result.reason
    assert result.gas_used == gas.BASE + gas.PER_INPUT_ELEMENT


def test_memory_over_the_limit_for_these_shapes_reverts_before_running(store: ModelStore) -> None:
    data = stress.square_chain(1, 0)  # x [n, 1] -> x @ x^T: n^2 floats
    assert analyse(data).admitted
    store.add(data, "outer")
    engine = InferenceEngine(store)
    n = 10_000
    result = run(request("outer", "x", [1] * n, [n, 1]), context(), engine)
    assert result.reverted and engine.model_runs == 0
    assert result.reason == (
        "OGInference: the model needs 381.5 MiB of tensors at once for these input shapes, "
        "over the 256.0 MiB limit"
    )
    assert result.gas_used == gas.BASE + gas.PER_INPUT_ELEMENT * n + gas.model_gas(len(data))


def test_compute_over_the_limit_reverts_before_running(store: ModelStore) -> None:
    data = stress.square_chain(4, 8)  # eight 2048 x 2048 squarings: 8.6e9 MACs each
    store.add(data, "squares")
    engine = InferenceEngine(store)
    n = 2048
    cost = CostMeter(data)({"x": (n, 4)})
    assert of(cost) > limits.MAX_COMPUTE_GAS
    result = run(request("squares", "x", [1] * (n * 4), [n, 4]), context(), engine)
    assert result.reverted and engine.model_runs == 0
    assert result.reason == (
        f"OGInference: the model's run costs {of(cost):,} compute gas for these input shapes, "
        "over the 3,000,000 limit"
    )
    assert result.gas_used == gas.BASE + gas.PER_INPUT_ELEMENT * n * 4 + gas.model_gas(len(data))


def test_values_sized_tensors_are_refused() -> None:
    verdict = analyse(stress.nonzero_driven())
    assert not verdict.admitted
    assert verdict.reason == (
        "node 0 (NonZero) makes a tensor whose size depends on the input's values, so its cost "
        "cannot be known before it runs"
    )


# --- the time budget ---------------------------------------------------------------------------


def test_the_time_budget_stops_a_run() -> None:
    data = stress.loop_matmul(400)  # ~2-5 s of MatMuls
    model = OnnxModel(data, b"h", budget_s=0.05)
    with pytest.raises(ModelExecutionError) as exc:
        model.run({"bias": np.zeros(1, np.float32)})
    assert str(exc.value) == "the model ran over its time budget of 0.05 s and was stopped"
    small = OnnxModel(stress.loop_matmul(1), b"h", budget_s=5.0)
    assert small.run({"bias": np.zeros(1, np.float32)})[0][0] == "y"  # a run in time answers


def test_the_time_budget_reverts_with_the_gas_charged(
    store: ModelStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MODEL_TIME_BUDGET_S", 0.05)
    data = stress.loop_matmul(400)
    store.add(data, "slow")
    result = run(request("slow", "bias", [0], [1]), context(), InferenceEngine(store))
    assert result.reverted and not result.out_of_gas
    assert result.reason == (
        "OGInference: model execution failed: the model ran over its time budget of 0.05 s "
        "and was stopped"
    )
    cost = model_cost(onnx.load_from_string(data), {"bias": (1,)})
    assert result.gas_used == fixed_gas(1, data, outputs=0) + of(cost)


# --- the manifest ------------------------------------------------------------------------------


def test_manifest_of_an_example_is_made_lazily(store: ModelStore) -> None:
    cid = store.add(EXAMPLES["volatility"].build(), "volatility")
    assert read_manifest(store.root, cid) is None
    InferenceEngine(store).resolve("volatility")
    manifest = read_manifest(store.root, cid)
    assert manifest is not None and manifest.admitted
    assert manifest.probe_shapes == {"open_high_low_close": [10, 4]}
    assert (manifest.cost["macs"], manifest.compute_gas) == (341, 50)


def test_pricing_is_cached_per_shapes() -> None:
    meter = CostMeter(stress.matmul_chain(16, 2))
    first = meter({"x": (4, 16)})
    assert meter({"x": (4, 16)}) is first
    assert meter({"x": (8, 16)}).macs == 2 * first.macs - 4 * 1 + 4  # ReduceSum grows by 64


# --- property: a MatMul chain's cost is exactly its arithmetic ---------------------------------


CHAIN = stress.matmul_chain(16, 3)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 4096))
def test_matmul_chain_cost_is_its_arithmetic(rows: int) -> None:
    cost = model_cost(onnx.load_from_string(CHAIN), {"x": (rows, 16)})
    assert cost.macs == 3 * rows * 16 * 16 + rows * 16  # three MatMuls, then ReduceSum
    # Constant 16, ConstantOfShape 16 + 1,024, three weight reads, the sum; rows: x, h0-h2
    assert cost.bytes_moved == 4_132 + 448 * rows
    assert cost.nodes == 6
    assert of(cost) >= 3 * rows * 256 // gas.MACS_PER_GAS


def test_unmeterable_is_a_value_error() -> None:
    assert issubclass(Unmeterable, ValueError)
