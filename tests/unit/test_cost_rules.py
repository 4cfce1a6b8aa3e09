"""The static cost analysis on the ops the meter prices beyond elementwise: Conv, Gemm,
LSTM, If, Scan and the ai.onnx.ml tree ensembles (exact multiply-adds from their shapes)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from ogkit.models.cost import Unmeterable, model_cost
from ogkit.models.manifest import analyse


def model(nodes, inputs, outputs, inits=(), opsets=(("", 17),)) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    made.ir_version = 8
    onnx.checker.check_model(made)
    return made


def f32(name: str, shape) -> onnx.ValueInfoProto:
    """A float tensor; an int shape is a rank whose dims are all dynamic."""
    if isinstance(shape, int):
        shape = [f"{name}{i}" for i in range(shape)]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def test_conv_counts_kernel_times_output() -> None:
    weight = numpy_helper.from_array(np.zeros((8, 3, 3, 3), np.float32), "w")
    conv = model(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
        [f32("x", [1, 3, "h", "w"])],
        [f32("y", 4)],
        [weight],
    )
    cost = model_cost(conv, {"x": (1, 3, 32, 32)})
    assert cost.macs == 8 * 32 * 32 * 27  # output elements x (3 channels x 3 x 3)


def test_gemm_and_lstm() -> None:
    gemm = model(
        [helper.make_node("Gemm", ["a", "b", "c"], ["y"])],
        [f32("a", ["m", 64])],
        [f32("y", 2)],
        [
            numpy_helper.from_array(np.zeros((64, 10), np.float32), "b"),
            numpy_helper.from_array(np.zeros(10, np.float32), "c"),
        ],
    )
    assert model_cost(gemm, {"a": (5, 64)}).macs == 5 * 10 * (64 + 1)
    hidden, features = 16, 8
    lstm = model(
        [helper.make_node("LSTM", ["x", "w", "r"], ["y"], hidden_size=hidden)],
        [f32("x", ["seq", 1, features])],
        [f32("y", 4)],
        [
            numpy_helper.from_array(np.zeros((1, 4 * hidden, features), np.float32), "w"),
            numpy_helper.from_array(np.zeros((1, 4 * hidden, hidden), np.float32), "r"),
        ],
    )
    assert model_cost(lstm, {"x": (10, 1, features)}).macs == 10 * 4 * hidden * (8 + 16 + 8)


def _branch(name: str, size: int) -> onnx.GraphProto:
    shape = numpy_helper.from_array(np.array([size], np.int64))
    return helper.make_graph(
        [
            helper.make_node("Constant", [], [f"{name}_s"], value=shape),
            helper.make_node("Expand", ["x", f"{name}_s"], [f"{name}_y"]),
        ],
        name,
        [],
        [f32(f"{name}_y", [size])],
    )


@pytest.mark.parametrize(("sizes", "admitted"), [((4, 4), True), ((4, 1_000), False)])
def test_if_prices_its_dearer_branch_or_is_refused(sizes, admitted) -> None:
    chosen = model(
        [
            helper.make_node(
                "If",
                ["c"],
                ["y"],
                then_branch=_branch("a", sizes[0]),
                else_branch=_branch("b", sizes[1]),
            )
        ],
        [f32("x", [1]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [f32("y", 1)],
    )
    verdict = analyse(chosen.SerializeToString())
    assert verdict.admitted is admitted
    if not admitted:
        assert verdict.reason == (
            "the If: its branches make outputs of different shapes, so what follows it cannot "
            "be priced before it runs"
        )


def test_scan_costs_its_body_times_the_sequence() -> None:
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["row", "w"], ["out"]),
            helper.make_node("Add", ["state", "out"], ["next"]),
        ],
        "body",
        [f32("state", [1, 8]), f32("row", [1, 8])],
        [f32("next", [1, 8]), f32("out", [1, 8])],
    )
    scan = model(
        [helper.make_node("Scan", ["s0", "xs"], ["final", "outs"], body=body, num_scan_inputs=1)],
        [f32("s0", [1, 8]), f32("xs", ["n", 1, 8])],
        [f32("final", 2), f32("outs", 3)],
        [numpy_helper.from_array(np.zeros((8, 8), np.float32), "w")],
    )
    assert model_cost(scan, {"s0": (1, 8), "xs": (20, 1, 8)}).macs == 20 * 64


def test_tree_ensemble_costs_rows_times_depths() -> None:
    # one tree: node 0 splits to leaves 1 and 2 (depth 2)
    tree = helper.make_node(
        "TreeEnsembleRegressor",
        ["x"],
        ["y"],
        domain="ai.onnx.ml",
        n_targets=1,
        nodes_treeids=[0, 0, 0],
        nodes_nodeids=[0, 1, 2],
        nodes_featureids=[0, 0, 0],
        nodes_values=[0.5, 0.0, 0.0],
        nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"],
        nodes_truenodeids=[1, 0, 0],
        nodes_falsenodeids=[2, 0, 0],
        target_treeids=[0, 0],
        target_nodeids=[1, 2],
        target_ids=[0, 0],
        target_weights=[1.0, 2.0],
    )
    forest = model(
        [tree],
        [f32("x", ["n", 3])],
        [f32("y", 2)],
        opsets=(("", 17), ("ai.onnx.ml", 3)),
    )
    assert model_cost(forest, {"x": (100, 3)}).macs == 100 * 2 * 4


def test_custom_operators_are_not_priced() -> None:
    custom = model(
        [helper.make_node("Frobnicate", ["x"], ["y"], domain="example.custom")],
        [f32("x", [2])],
        [f32("y", [2])],
        opsets=(("", 17), ("example.custom", 1)),
    )
    verdict = analyse(custom.SerializeToString())
    assert (verdict.admitted, verdict.standard) == (False, False)
    assert verdict.reason == (
        "node 0 (Frobnicate of domain 'example.custom') is not a standard ONNX operator, so its "
        "cost cannot be known"
    )
    assert issubclass(Unmeterable, ValueError)
