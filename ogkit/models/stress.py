"""Small ONNX models that make a lot of work from a few bytes: what the compute meter is
tested and calibrated against (`bench/gas_compute.py`, the meter's tests). Built in code,
offline, deterministic."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _model(graph: onnx.GraphProto) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _const_of_shape(name: str, shape: list[int], value: float) -> list[onnx.NodeProto]:
    return [
        helper.make_node(
            "Constant",
            [],
            [f"{name}_shape"],
            value=numpy_helper.from_array(np.array(shape, dtype=np.int64)),
        ),
        helper.make_node(
            "ConstantOfShape",
            [f"{name}_shape"],
            [name],
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [value]),
        ),
    ]


def loop_matmul(trips: int | None, size: int = 512) -> bytes:
    """A Loop that runs a size x size MatMul per step: `trips` None takes the trip count
    from the int64 input `n` (the issue's model), an int makes it a constant."""
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["x_in", "w"], ["x_out"]),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x_in", TensorProto.FLOAT, [size, size]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x_out", TensorProto.FLOAT, [size, size]),
        ],
    )
    nodes = [
        *_const_of_shape("x0", [size, size], 0.5),
        *_const_of_shape("w", [size, size], 1 / size),
    ]
    inputs = [helper.make_tensor_value_info("bias", TensorProto.FLOAT, [1])]
    if trips is None:
        inputs.append(helper.make_tensor_value_info("n", TensorProto.INT64, []))
    else:
        nodes.append(
            helper.make_node(
                "Constant", [], ["n"], value=numpy_helper.from_array(np.array(trips, np.int64))
            )
        )
    nodes.append(
        helper.make_node("Constant", [], ["cond"], value=numpy_helper.from_array(np.array(True)))
    )
    nodes += [
        helper.make_node("Loop", ["n", "cond", "x0"], ["x"], body=body),
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        helper.make_node("Add", ["s", "bias"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "loop_matmul", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]
    )
    return _model(graph)


def matmul_chain(size: int, depth: int) -> bytes:
    """x [size, size] (an input) through `depth` MatMuls by a size x size constant."""
    nodes = _const_of_shape("w", [size, size], 1 / size)
    last = "x"
    for i in range(depth):
        nodes.append(helper.make_node("MatMul", [last, "w"], [f"h{i}"]))
        last = f"h{i}"
    nodes.append(helper.make_node("ReduceSum", [last], ["y"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "matmul_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )
    return _model(graph)


def allocation(elements: int) -> bytes:
    """The input x [1] expanded to `elements` floats and summed: memory from a few bytes
    (an Expand of an input, so the runtime cannot fold it away at load)."""
    nodes = [
        helper.make_node(
            "Constant", [], ["shape"], value=numpy_helper.from_array(np.array([elements], np.int64))
        ),
        helper.make_node("Expand", ["x", "shape"], ["big"]),
        helper.make_node("ReduceSum", ["big"], ["y"], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        "allocation",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    return _model(graph)


def elementwise_chain(depth: int) -> bytes:
    """x [n] through `depth` rounds of Mul, Add and Tanh: memory-bound and transcendental."""
    nodes = [
        helper.make_node("Constant", [], ["a"], value=numpy_helper.from_array(np.float32(0.9))),
    ]
    last = "x"
    for i in range(depth):
        nodes += [
            helper.make_node("Mul", [last, "a"], [f"m{i}"]),
            helper.make_node("Add", [f"m{i}", "a"], [f"p{i}"]),
            helper.make_node("Tanh", [f"p{i}"], [f"t{i}"]),
        ]
        last = f"t{i}"
    nodes.append(helper.make_node("ReduceSum", [last], ["y"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "elementwise_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )
    return _model(graph)


def conv_stack(channels: int, depth: int) -> bytes:
    """x [1, 1, h, w] through a 3x3 Conv to `channels` and `depth` channels->channels Convs."""
    rng = np.random.default_rng(0)
    inits, nodes, last, before = [], [], "x", 1
    for i in range(depth + 1):
        weight = (rng.standard_normal((channels, before, 3, 3)) * 0.1).astype(np.float32)
        inits.append(numpy_helper.from_array(weight, f"w{i}"))
        nodes.append(helper.make_node("Conv", [last, f"w{i}"], [f"c{i}"], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        last, before = f"r{i}", channels
    nodes.append(helper.make_node("ReduceMean", [last], ["y"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "conv_stack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
        initializer=inits,
    )
    return _model(graph)


def nonzero_driven() -> bytes:
    """A ConstantOfShape sized by NonZero of the input: a size the shapes cannot bound."""
    nodes = [
        helper.make_node("NonZero", ["x"], ["nz"]),
        helper.make_node("Shape", ["nz"], ["shape"]),
        helper.make_node("ConstantOfShape", ["shape"], ["big"]),
        helper.make_node("ReduceSum", ["big"], ["y"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "nonzero_driven",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )
    return _model(graph)


def square_chain(columns: int, depth: int) -> bytes:
    """x [n, columns] -> s = x @ x^T [n, n], then `depth` times s = s @ s: memory and work
    that grow with the input's dynamic dimension n (tiny at n = 1)."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"]),
        helper.make_node("MatMul", ["x", "xt"], ["s0"]),
    ]
    for i in range(depth):
        nodes.append(helper.make_node("MatMul", [f"s{i}", f"s{i}"], [f"s{i + 1}"]))
    nodes.append(helper.make_node("ReduceSum", [f"s{depth}"], ["y"], keepdims=0))
    graph = helper.make_graph(
        nodes,
        "square_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", columns])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )
    return _model(graph)
