"""Example model ``upstream_demo``: the input shape OpenGradient's own published examples send
(one ``input`` tensor of two numbers), with fixed weights, so a contract written for the alpha
testnet runs unchanged here."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from og_examples.models.common import NUMERIC_IR_VERSION, NUMERIC_OPSET, const, serialise

NAME = "upstream_demo"
DOC = (
    "The input shape OpenGradient's published examples send: input float32 [2]. Output "
    "output float32 [1] = 2.0 * input[0] - 0.5 * input[1] + 0.25 (fixed weights)."
)

UPSTREAM_DEMO_ALIAS = "QmbbzDwqSxZSgkz1EbsNHp2mb67rYeUYHYWJ4wECE24S7A"
"""An alpha-testnet-style IPFS id that `ogkit models build-examples` aliases to
`upstream_demo`, to show a contract written for alpha running unchanged here."""
UPSTREAM_DEMO_WEIGHTS = (2.0, -0.5)
UPSTREAM_DEMO_BIAS = 0.25


def build() -> bytes:
    """The serialised model (deterministic)."""
    inits = [
        const("weights", np.array(UPSTREAM_DEMO_WEIGHTS, dtype=np.float32).reshape(2, 1)),
        const("bias", np.array([UPSTREAM_DEMO_BIAS], dtype=np.float32)),
        const("row", np.array([1, 2], dtype=np.int64)),
        const("flat", np.array([1], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("Reshape", ["input", "row"], ["input_row"]),
        helper.make_node("MatMul", ["input_row", "weights"], ["product"]),
        helper.make_node("Reshape", ["product", "flat"], ["product_flat"]),
        helper.make_node("Add", ["product_flat", "bias"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        NAME,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    return serialise(graph, NUMERIC_OPSET, NUMERIC_IR_VERSION, DOC)


def sample() -> dict[str, np.ndarray]:
    """The input the upstream examples send."""
    return {"input": np.array([0.07286679744720459, 0.4486280852050781], dtype=np.float32)}
