"""Static cost of one ONNX model run for concrete input shapes, known before it runs.

onnx's shape inference (with data propagation) gives every tensor's shape for the shapes a
call brings; each node then costs its multiply-adds (`cost_rules`) and the bytes it reads
and writes, and a walk in graph order gives the peak bytes of tensors alive at once. Loops
with a constant trip count cost their body times the count, Scan its body times the scan
length, If its dearer branch. A tensor whose size depends on the input's *values* (NonZero,
a Loop whose trip count is an input, a Reshape to a computed shape, …) cannot be priced
before the run: `Unmeterable` says which node, and the model is refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ogkit.models.cost_rules import Shape, elements, node_macs
from precompiles.host import ComputeCost

STRING_BYTES = 32
"""Bytes one string element is counted as (its average length is unknown before the run)."""
STRING_OP_MACS = 800
"""Multiply-adds one string element an op makes or compares costs: comparing, hashing or
normalising a string takes about 10 ns, as long as ~800 multiply-adds in a matrix product."""
LARGE_TENSOR_BYTES = 2 << 20
"""A tensor over this many bytes no longer fits a core's cache: its bytes count as large."""
WEIGHT = "ogkit: an initializer, typed without its data"
MAX_FILLS = 64
"""Nodes whose output shapes the analysis may fill in itself (loops, bounded ops)."""
_BOUNDED_BY_INPUT = {"StringNormalizer"}
"""Ops whose output is never larger than their input (stopword removal only shrinks)."""


class Unmeterable(ValueError):  # noqa: N818 - names the condition
    """The model's work cannot be bounded from input shapes alone; the message says why."""


@dataclass(frozen=True)
class Value:
    itemsize: int
    shape: Shape | None
    """None: not a tensor of known shape (unknown dims, or a sequence/map)."""
    is_tensor: bool = True

    @property
    def nbytes(self) -> int:
        return self.itemsize * elements(self.shape)


def _itemsize(elem_type: int) -> int:
    if elem_type == onnx.TensorProto.STRING:
        return STRING_BYTES
    try:
        return int(np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).itemsize)
    except (KeyError, TypeError):
        return 8


def _value(type_proto: onnx.TypeProto) -> Value:
    if not type_proto.HasField("tensor_type"):
        return Value(8, None, is_tensor=False)
    tensor = type_proto.tensor_type
    size = _itemsize(tensor.elem_type)
    if not tensor.HasField("shape"):
        return Value(size, None)
    dims = tensor.shape.dim
    if any(not d.HasField("dim_value") for d in dims):
        return Value(size, None)
    return Value(size, tuple(int(d.dim_value) for d in dims))


@dataclass
class _Totals:
    macs: int = 0
    moved: int = 0
    nodes: int = 0
    peak: int = 0
    large: int = 0

    def cost(self) -> ComputeCost:
        return ComputeCost(self.macs, self.moved, self.nodes, self.peak, self.large)


class _Graph:
    """One graph (the model's or a loop body) analysed for concrete input types."""

    def __init__(
        self, model: onnx.ModelProto, depth: int = 0, loop_bound: int | None = None
    ) -> None:
        self.model = model
        self.graph = model.graph
        self.depth = depth
        self.loop_bound = loop_bound
        """Declared most iterations of a main-graph Loop whose count is not a constant."""
        self.sub: dict[int, tuple[ComputeCost, list[Value]]] = {}
        self.values: dict[str, Value] = {}
        self.elem: dict[str, int] = {}

    # ---------------------------------------------------------------- shapes
    def infer(self) -> None:
        for _ in range(MAX_FILLS):
            try:
                inferred = onnx.shape_inference.infer_shapes(self.model, data_prop=True)
            except Exception as exc:  # noqa: BLE001 - onnx raises several unrelated types
                raise Unmeterable(f"shape inference fails: {str(exc).splitlines()[0]}") from None
            self._collect(inferred.graph)
            unknown = self._first_unknown()
            if unknown is None:
                return
            self._fill(*unknown)
        raise Unmeterable(f"more than {MAX_FILLS} nodes need their output shapes bounded")

    def _collect(self, graph: onnx.GraphProto) -> None:
        self.values, self.elem = {}, {}
        for init in graph.initializer:
            self.values[init.name] = Value(_itemsize(init.data_type), tuple(init.dims))
            self.elem[init.name] = init.data_type
        fixed = set(self.values)
        for info in [*graph.input, *graph.value_info, *graph.output]:
            known = self.values.get(info.name)
            if info.name in fixed or (known is not None and known.shape is not None):
                continue
            self.values[info.name] = _value(info.type)
            self.elem[info.name] = info.type.tensor_type.elem_type

    def _first_unknown(self) -> tuple[int, onnx.NodeProto] | None:
        for index, node in enumerate(self.graph.node):
            for name in node.output:
                value = self.values.get(name)
                if name and (value is None or (value.is_tensor and value.shape is None)):
                    return index, node
        return None

    def _fill(self, index: int, node: onnx.NodeProto) -> None:
        """Give `node`'s outputs shapes shape inference could not: or refuse the model."""
        if node.op_type in _BOUNDED_BY_INPUT and self._known(node.input[0]):
            shapes = [self.values[node.input[0]].shape] * len(node.output)
        elif node.op_type in ("Loop", "If", "Scan"):
            shapes = [v.shape for v in self.subgraph(index, node)[1]]
        else:
            raise Unmeterable(
                f"node {node.name or index} ({node.op_type}) makes a tensor whose size depends "
                "on the input's values, so its cost cannot be known before it runs"
            )
        for name, shape in zip(node.output, shapes, strict=False):
            if name and shape is not None and not self._known(name):
                elem = self.elem.get(name) or self.elem.get(node.input[0], onnx.TensorProto.FLOAT)
                info = helper.make_tensor_value_info(name, elem, list(shape))
                kept = [v for v in self.graph.value_info if v.name != name]
                del self.graph.value_info[:]
                self.graph.value_info.extend([*kept, info])
                for output in self.graph.output:
                    if output.name == name:
                        output.CopyFrom(info)

    def _known(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value.shape is not None

    def shape(self, name: str) -> Shape | None:
        value = self.values.get(name)
        return value.shape if value is not None else None

    # ---------------------------------------------------------------- subgraphs
    def subgraph(self, index: int, node: onnx.NodeProto) -> tuple[ComputeCost, list[Value]]:
        if index not in self.sub:
            from ogkit.models.cost_loops import subgraph_cost

            self.sub[index] = subgraph_cost(self, node)
        return self.sub[index]

    def constant(self, name: str) -> np.ndarray | None:
        """The value of `name` if the graph fixes it (an initializer or a Constant node)."""
        for init in self.graph.initializer:
            if init.name == name:
                return numpy_helper.to_array(init)
        for node in self.graph.node:
            if node.op_type == "Constant" and node.output[0] == name and node.attribute:
                value = helper.get_attribute_value(node.attribute[0])
                return numpy_helper.to_array(value) if isinstance(value, onnx.TensorProto) else None
        return None

    # ---------------------------------------------------------------- the walk
    def walk(self) -> ComputeCost:
        totals = _Totals()
        last_use: dict[str, int] = {}
        for index, node in enumerate(self.graph.node):
            for name in node.input:
                last_use[name] = index
        keep = {o.name for o in self.graph.output}
        initializers = {i.name for i in self.graph.initializer}
        live = {  # weights live in the session, not per run: the model-size gas pays for them
            i.name: self.values[i.name].nbytes
            for i in self.graph.input
            if i.name not in initializers and i.name in self.values and i.doc_string != WEIGHT
        }
        for index, node in enumerate(self.graph.node):
            ins = [self.shape(n) if n else None for n in node.input]
            outs = [self.shape(n) if n else None for n in node.output]
            touched = [self._bytes(n) for n in [*node.input, *node.output] if n]
            extra_peak = 0
            if node.op_type in ("Loop", "If", "Scan"):
                body = self.subgraph(index, node)[0]
                totals.macs += body.macs
                totals.moved += body.bytes_moved
                totals.nodes += body.nodes
                totals.large += body.large_bytes
                extra_peak = body.peak_bytes
            totals.macs += node_macs(node, ins, outs) + self._string_work(node)
            totals.moved += sum(touched)
            totals.large += sum(b for b in touched if b > LARGE_TENSOR_BYTES)
            totals.nodes += 1
            for name in node.output:
                if name:
                    live[name] = self._bytes(name)
            totals.peak = max(totals.peak, sum(live.values()) + extra_peak)
            for name in list(live):
                if name not in keep and last_use.get(name, -1) <= index:
                    del live[name]
        totals.peak = max(totals.peak, sum(live.values()))
        return totals.cost()

    def _string_work(self, node: onnx.NodeProto) -> int:
        """Ops that read strings do per-element work far above a float's (compare, hash)."""
        if not any(self.elem.get(n) == onnx.TensorProto.STRING for n in node.input if n):
            return 0
        touched = [elements(self.shape(n)) for n in [*node.input, *node.output] if n]
        return STRING_OP_MACS * max(touched, default=0)

    def _bytes(self, name: str) -> int:
        value = self.values.get(name)
        if value is None or value.shape is None:
            return 0
        return value.nbytes


def input_shapes_probe(model: onnx.ModelProto) -> dict[str, Shape]:
    """Every graph input with its dynamic dimensions set to 1: the smallest call."""
    initializers = {i.name for i in model.graph.initializer}
    return {
        i.name: tuple(
            d.dim_value if d.HasField("dim_value") else 1 for d in i.type.tensor_type.shape.dim
        )
        for i in model.graph.input
        if i.name not in initializers
    }


SMALL_CONSTANT = 4096
"""Initializers up to this many elements keep their values for shape inference (a Reshape's
target, a Loop's count); bigger ones (weights) go in as typed inputs, without their bytes."""


def with_input_shapes(model: onnx.ModelProto, shapes: Mapping[str, Shape]) -> onnx.ModelProto:
    """A copy of `model` whose graph inputs have these concrete shapes and whose weights are
    typed inputs without data: pricing a 100 MB model copies kilobytes, not its weights."""
    source = model.graph
    graph = onnx.GraphProto(name=source.name)
    for field in ("node", "input", "output", "value_info"):
        getattr(graph, field).extend(getattr(source, field))
    copy = onnx.ModelProto(ir_version=model.ir_version, graph=graph)
    copy.opset_import.extend(model.opset_import)
    copy.functions.extend(model.functions)
    initializers = source.initializer  # read, never changed: meters price concurrently
    declared = {i.name for i in copy.graph.input}
    for init in initializers:
        if math.prod(init.dims) <= SMALL_CONSTANT:
            copy.graph.initializer.append(init)
            continue
        info = helper.make_tensor_value_info(init.name, init.data_type, list(init.dims))
        info.doc_string = WEIGHT
        if init.name in declared:
            next(i for i in copy.graph.input if i.name == init.name).CopyFrom(info)
        else:
            copy.graph.input.append(info)
    for graph_input in copy.graph.input:
        if graph_input.name not in shapes or not graph_input.type.HasField("tensor_type"):
            continue
        shape = graph_input.type.tensor_type.shape
        shape.ClearField("dim")
        for size in shapes[graph_input.name]:
            shape.dim.add().dim_value = int(size)
    return copy


def model_cost(
    model: onnx.ModelProto, shapes: Mapping[str, Shape], loop_bound: int | None = None
) -> ComputeCost:
    """The cost of running `model` once on inputs of these shapes; `Unmeterable` if the
    shapes alone cannot bound it. `loop_bound` prices a main-graph Loop whose count is an
    input at that many iterations (the runtime enforces it: `ogkit.models.loop_bound`)."""
    graph = _Graph(with_input_shapes(model, shapes), loop_bound=loop_bound)
    graph.infer()
    return graph.walk()


def describe(cost: ComputeCost) -> str:
    mib = cost.peak_bytes / (1 << 20)
    return f"{cost.macs:,} multiply-adds, {cost.bytes_moved:,} bytes moved, peak {mib:.1f} MiB"
