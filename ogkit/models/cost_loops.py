"""The cost of a Loop, Scan or If node: its subgraph analysed as a graph of its own.

A subgraph reads names of the graph around it; they become inputs (or, when the outer graph
fixes them, initializers) of a standalone copy that `cost._Graph` analyses like any model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import onnx
from onnx import helper

from ogkit.models.cost import Unmeterable, Value
from precompiles.host import ComputeCost

if TYPE_CHECKING:
    from ogkit.models.cost import _Graph

MAX_DEPTH = 8
"""Subgraphs nested deeper than this are refused: no real export goes near it."""


def _attr_graph(node: onnx.NodeProto, name: str) -> onnx.GraphProto:
    for attribute in node.attribute:
        if attribute.name == name:
            return attribute.g
    raise Unmeterable(f"node {node.name} ({node.op_type}) has no {name} graph")


def _reads(graph: onnx.GraphProto) -> set[str]:
    """Names the graph's nodes (and their own subgraphs) read."""
    names: set[str] = set()
    for node in graph.node:
        names.update(n for n in node.input if n)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                names |= _reads(attribute.g)
    return names


def _defined(graph: onnx.GraphProto) -> set[str]:
    names = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    for node in graph.node:
        names.update(node.output)
    return names


def _standalone(outer: _Graph, body: onnx.GraphProto, inputs: list[tuple[int, Value]]) -> _Graph:
    """`body` as a model: its inputs typed as given, outer names it reads added."""
    from ogkit.models.cost import _Graph

    graph = onnx.GraphProto()
    graph.CopyFrom(body)
    for info, (elem, value) in zip(graph.input, inputs, strict=False):
        info.CopyFrom(helper.make_tensor_value_info(info.name, elem, list(value.shape or ())))
    for name in sorted(_reads(body) - _defined(body)):
        constant = outer.constant(name)
        value = outer.values.get(name)
        if constant is not None and constant.size <= 4096:
            graph.initializer.append(onnx.numpy_helper.from_array(constant, name))
        elif value is not None and value.shape is not None:
            elem = outer.elem.get(name, onnx.TensorProto.FLOAT)
            graph.input.append(helper.make_tensor_value_info(name, elem, list(value.shape)))
        else:
            raise Unmeterable(f"a subgraph reads {name!r}, whose shape is not known")
    model = helper.make_model(graph, opset_imports=list(outer.model.opset_import))
    model.ir_version = outer.model.ir_version
    analysed = _Graph(model, outer.depth + 1)
    analysed.infer()
    return analysed


def _named(node: onnx.NodeProto) -> str:
    return f" {node.name!r}" if node.name else ""


def _typed(outer: _Graph, name: str) -> tuple[int, Value]:
    value = outer.values.get(name)
    if value is None or value.shape is None:
        raise Unmeterable(f"the shape of {name!r} is not known")
    return outer.elem.get(name, onnx.TensorProto.FLOAT), value


def _times(cost: ComputeCost, trips: int) -> ComputeCost:
    return ComputeCost(
        cost.macs * trips,
        cost.bytes_moved * trips,
        cost.nodes * trips,
        cost.peak_bytes,
        cost.large_bytes * trips,
    )


def _outputs(graph: _Graph) -> list[Value]:
    return [graph.values.get(o.name, Value(8, None)) for o in graph.graph.output]


def _loop(outer: _Graph, node: onnx.NodeProto) -> tuple[ComputeCost, list[Value]]:
    trip_name = node.input[0] if node.input else ""
    trips_value = outer.constant(trip_name) if trip_name else None
    bounded = outer.depth == 0 and outer.loop_bound is not None and trip_name
    if (trips_value is None or trips_value.size != 1) and bounded:
        trips_value = np.array(outer.loop_bound)  # enforced by the runtime's rewrite
    if trips_value is None or trips_value.size != 1:
        raise Unmeterable(
            f"the Loop{_named(node)} runs a number of times that is not a constant of the "
            "model (an input or a computed value), so its cost cannot be known before it runs; "
            "declare a bound with `ogkit models add --max-loop-iterations N` (a Loop of the "
            "main graph with a trip count input only)"
        )
    trips = max(0, int(trips_value.reshape(-1)[0]))
    carried = [_typed(outer, name) for name in node.input[2:]]
    scalar_int = (onnx.TensorProto.INT64, Value(8, ()))
    scalar_bool = (onnx.TensorProto.BOOL, Value(1, ()))
    body = _standalone(outer, _attr_graph(node, "body"), [scalar_int, scalar_bool, *carried])
    results = _outputs(body)[1:]
    for (_, before), after in zip(carried, results, strict=False):
        if before.shape != after.shape:
            raise Unmeterable(
                f"the Loop{_named(node)} changes a carried value's shape from {before.shape} "
                f"to {after.shape} each iteration"
            )
    scans = [Value(v.itemsize, (trips, *v.shape) if v.shape is not None else None)
             for v in results[len(carried):]]  # fmt: skip
    return _times(body.walk(), trips), [*results[: len(carried)], *scans]


def _scan(outer: _Graph, node: onnx.NodeProto) -> tuple[ComputeCost, list[Value]]:
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    scanned = int(attrs.get("num_scan_inputs", 0))
    inputs = [_typed(outer, name) for name in node.input]
    states, scans = inputs[: len(inputs) - scanned], inputs[len(inputs) - scanned :]
    axes = list(attrs.get("scan_input_axes") or [0] * scanned)
    if not scans or scans[0][1].shape is None:
        raise Unmeterable(f"the Scan{_named(node)} has no scan input of known shape")
    trips = scans[0][1].shape[axes[0]]
    slices = [
        (elem, Value(v.itemsize, tuple(d for i, d in enumerate(v.shape or ()) if i != axis)))
        for (elem, v), axis in zip(scans, axes, strict=False)
    ]
    body = _standalone(outer, _attr_graph(node, "body"), [*states, *slices])
    results = _outputs(body)
    outs = [*results[: len(states)]]
    for v in results[len(states) :]:
        outs.append(Value(v.itemsize, (trips, *v.shape) if v.shape is not None else None))
    return _times(body.walk(), trips), outs


def _if(outer: _Graph, node: onnx.NodeProto) -> tuple[ComputeCost, list[Value]]:
    names = ("then_branch", "else_branch")
    branches = [_standalone(outer, _attr_graph(node, b), []) for b in names]
    costs = [b.walk() for b in branches]
    shapes = [[v.shape for v in _outputs(b)] for b in branches]
    dear = max(costs, key=lambda c: (c.macs + c.bytes_moved, c.peak_bytes))
    if shapes[0] != shapes[1]:
        raise Unmeterable(
            f"the If{_named(node)}: its branches make outputs of different shapes, so what "
            "follows it cannot be priced before it runs"
        )
    peak = max(c.peak_bytes for c in costs)
    cost = ComputeCost(dear.macs, dear.bytes_moved, dear.nodes, peak, dear.large_bytes)
    return cost, _outputs(branches[0])


def subgraph_cost(outer: _Graph, node: onnx.NodeProto) -> tuple[ComputeCost, list[Value]]:
    """The cost of one run of `node` (bodies times their trip count) and its output values."""
    if outer.depth >= MAX_DEPTH:
        raise Unmeterable(f"subgraphs nested more than {MAX_DEPTH} deep")
    handler = {"Loop": _loop, "Scan": _scan, "If": _if}[node.op_type]
    return handler(outer, node)
