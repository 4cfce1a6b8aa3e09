"""Enforces a declared Loop bound (`ogkit models add --max-loop-iterations N`) in the graph
onnxruntime runs: each main-graph Loop whose trip count is not a constant gets
`min(count, N)` as its count and an extra output `count > N`, which the node checks after
the run to revert. The gas was charged for N iterations, and no run goes beyond them."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLAG_PREFIX = "__ogkit_loop_over_bound_"
_BOUND = "__ogkit_loop_bound"


def _constants(graph: onnx.GraphProto) -> set[str]:
    names = {init.name for init in graph.initializer}
    names.update(n.output[0] for n in graph.node if n.op_type == "Constant" and n.output)
    return names


def bound_loops(data: bytes, bound: int) -> bytes:
    """The model with every unbounded main-graph Loop capped at `bound` iterations (the
    bytes unchanged if it has none)."""
    model = onnx.load_from_string(data)
    graph = model.graph
    constants = _constants(graph)
    nodes: list[onnx.NodeProto] = []
    flags = 0
    for node in graph.node:
        trips = node.input[0] if node.op_type == "Loop" and node.input else ""
        if trips and trips not in constants:
            capped, flag = f"__ogkit_loop_trips_{flags}", f"{FLAG_PREFIX}{flags}"
            nodes.append(helper.make_node("Min", [trips, _BOUND], [capped]))
            nodes.append(helper.make_node("Greater", [trips, _BOUND], [flag]))
            node.input[0] = capped
            graph.output.append(helper.make_tensor_value_info(flag, TensorProto.BOOL, []))
            flags += 1
        nodes.append(node)
    if not flags:
        return data
    graph.initializer.append(numpy_helper.from_array(np.array(bound, np.int64), _BOUND))
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString()
