"""0xF4's shape rule as upstream's node applies it, and shape errors that name dynamic dims.

A flat (1-D) number tensor whose length is the element count of a fully known model input
is read row-major in the model's shape ([4] feeds [1, 4], [40] feeds [10, 4]); any other
mismatch still reverts with the shape the model expects, dynamic dims named."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from eth_abi import encode
from onnx import TensorProto, helper

from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from precompiles.fixed_point import from_array
from precompiles.host import CallContext
from precompiles.inference.precompile import run
from precompiles.inference.types import NumberTensor

SELECTOR = bytes.fromhex("7289e9c2")
REQUEST = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
OUTPUT = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"


def _identity(shape: list, name: str = "x") -> bytes:
    """y = x + 0 on a float input of `shape` (ints, dim_param strings or None)."""
    graph = helper.make_graph(
        [helper.make_node("Identity", [name], ["y"])],
        "shapes",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


MODELS = {
    "grid": [10, 4],
    "row": [1, 2],
    "named_batch": ["batch", 4],
    "unnamed": [None, 3, None],
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> InferenceEngine:
    store = ModelStore(tmp_path_factory.mktemp("shapes"))
    for name, shape in MODELS.items():
        store.add(_identity(shape), name)
    return InferenceEngine(store)


def _call(engine, model: str, values: list[float], shape: tuple[int, ...]):
    tensor = NumberTensor("x", tuple(from_array(np.array(values, np.float32))), shape)
    request = (0, model, ([(tensor.name, [list(v) for v in tensor.values], list(shape))], []))
    data = SELECTOR + encode([REQUEST], [request])
    ctx = CallContext(b"\x11" * 20, b"\x22" * 20, 7, 0, 50_000_000)
    return run(data, ctx, engine)


def _output(values: np.ndarray) -> bytes:
    numbers = [("y", [list(n) for n in from_array(values)], list(values.shape))]
    return encode([OUTPUT], [(numbers, [], [], False)])


def test_flat_40_feeds_a_10_by_4_input_row_major(engine):
    values = [float(i) / 4 for i in range(40)]
    result = _call(engine, "grid", values, (40,))
    assert not result.reverted, result.reason
    grid = np.array(values, np.float32).reshape(10, 4)
    session = ort.InferenceSession(_identity([10, 4]), providers=["CPUExecutionProvider"])
    (expected,) = session.run(["y"], {"x": grid})
    assert result.output == _output(expected)
    assert result.output == _call(engine, "grid", values, (10, 4)).output  # as if sent [10, 4]


def test_flat_2_feeds_a_1_by_2_input(engine):
    result = _call(engine, "row", [0.5, -1.5], (2,))
    assert not result.reverted, result.reason
    assert result.output == _output(np.array([[0.5, -1.5]], np.float32))


@pytest.mark.parametrize(
    ("model", "values", "shape", "reason"),
    [
        ("grid", 39, (39,), "input 'x' has shape [39], model expects [10, 4]"),
        ("grid", 40, (4, 10), "input 'x' has shape [4, 10], model expects [10, 4]"),
        ("grid", 40, (2, 20), "input 'x' has shape [2, 20], model expects [10, 4]"),
        ("row", 2, (2, 1), "input 'x' has shape [2, 1], model expects [1, 2]"),
        # a dynamic input is never guessed at: its dims are named in the reason
        ("named_batch", 8, (8,), "input 'x' has shape [8], model expects [batch?, 4]"),
        ("unnamed", 6, (6,), "input 'x' has shape [6], model expects [batch?, 3, dim2?]"),
    ],
)
def test_other_mismatches_still_revert(engine, model, values, shape, reason):
    result = _call(engine, model, [1.0] * values, shape)
    assert result.reverted and result.reason == f"OGInference: {reason}"


def test_dynamic_dims_still_take_any_size(engine):
    result = _call(engine, "named_batch", [1.0] * 8, (2, 4))
    assert not result.reverted, result.reason
    assert result.output == _output(np.ones((2, 4), np.float32))
