"""Helpers of the InferenceProbe tests (no tests here): a test-only model with several outputs
and runModelInference calldata as eth-abi encodes it, for requests Solidity cannot encode."""

from __future__ import annotations

import numpy as np
from eth_abi import encode
from onnx import TensorProto, helper, numpy_helper

from precompiles.inference.model_codec import MODEL_INFERENCE_REQUEST
from precompiles.inference.precompile import RUN_MODEL_INFERENCE

# A test-only model: x float [n] -> root = sqrt(x) [n], same = x [n], outer = x x^T [n, n].
# Registered in the store under this alias by the `probe_model` fixture.
PROBE_MODEL = "ogkit-test/probe_outputs"


def build_probe_model() -> bytes:
    inits = [
        numpy_helper.from_array(np.array([-1, 1], dtype=np.int64), "column"),
        numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "row"),
    ]
    nodes = [
        helper.make_node("Sqrt", ["x"], ["root"]),
        helper.make_node("Identity", ["x"], ["same"]),
        helper.make_node("Reshape", ["x", "column"], ["x_column"]),
        helper.make_node("Reshape", ["x", "row"], ["x_row"]),
        helper.make_node("MatMul", ["x_column", "x_row"], ["outer"]),
    ]
    graph = helper.make_graph(
        nodes,
        "probe_outputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [
            helper.make_tensor_value_info("root", TensorProto.FLOAT, ["n"]),
            helper.make_tensor_value_info("same", TensorProto.FLOAT, ["n"]),
            helper.make_tensor_value_info("outer", TensorProto.FLOAT, ["n", "n"]),
        ],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ogkit-tests"
    )
    model.ir_version = 8
    return model.SerializeToString()


def raw_request(mode: int, model_id: str, numbers=(), strings=()) -> bytes:
    """Calldata of runModelInference as eth-abi encodes it (any uint8 mode)."""
    request = (mode, model_id, ([(n, list(v), list(s)) for n, v, s in numbers], list(strings)))
    return RUN_MODEL_INFERENCE + encode([MODEL_INFERENCE_REQUEST], [request])
