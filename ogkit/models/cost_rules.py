"""What one ONNX node costs, from its concrete input and output shapes: multiply-adds.

Bytes moved (every input and output tensor once) are counted by the graph walk in
`ogkit.models.cost`; a rule here adds the arithmetic an op does beyond touching its tensors.
Ops with no rule do no arithmetic beyond one pass over their data (elementwise, shape and
data-movement ops); transcendental ops count `TRANSCENDENTAL` multiply-adds per element.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import onnx
from onnx import helper

Shape = tuple[int, ...]
Rule = Callable[[onnx.NodeProto, Sequence[Shape | None], Sequence[Shape | None]], int]

TRANSCENDENTAL = 8
"""Multiply-adds one exp/log/tanh/erf/… costs (a polynomial of about that many terms)."""
_TRANSCENDENTAL_OPS = {
    "Exp", "Log", "Tanh", "Sigmoid", "Erf", "Pow", "Sqrt", "Reciprocal", "Sin", "Cos", "Tan",
    "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Softplus", "Softsign",
    "Elu", "Selu", "Celu", "Gelu", "Mish", "HardSwish", "HardSigmoid", "ThresholdedRelu",
    "Softmax", "LogSoftmax", "Hardmax", "LpNormalization", "LayerNormalization",
    "InstanceNormalization", "GroupNormalization", "BatchNormalization", "ReduceLogSumExp",
    "ReduceLogSum", "Div", "Mod",
}  # fmt: skip


def elements(shape: Shape | None) -> int:
    return math.prod(shape) if shape is not None else 0


def _attr(node: onnx.NodeProto, name: str, default: object = None) -> object:
    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


def _matmul(node, ins, outs) -> int:
    a = ins[0]
    return elements(outs[0]) * (a[-1] if a else 1)


def _gemm(node, ins, outs) -> int:
    a = ins[0]
    k = (a[0] if _attr(node, "transA", 0) else a[-1]) if a else 1
    return elements(outs[0]) * (k + 1)


def _conv(node, ins, outs) -> int:
    weight = ins[1]
    return elements(outs[0]) * (math.prod(weight[1:]) if weight else 1)


def _conv_transpose(node, ins, outs) -> int:
    weight = ins[1]
    return elements(ins[0]) * (math.prod(weight[1:]) if weight else 1)


def _pool(node, ins, outs) -> int:
    kernel = _attr(node, "kernel_shape") or [1]
    return elements(outs[0]) * math.prod(kernel)


def _recurrent(gates: int) -> Rule:
    def rule(node, ins, outs) -> int:
        x, w = ins[0], ins[1]
        if not x or not w:
            return 0
        seq, batch, features = x[0], x[1], x[2]
        directions, gate_rows = w[0], w[1]
        hidden = gate_rows // gates
        return seq * batch * directions * gate_rows * (features + hidden + TRANSCENDENTAL)

    return rule


def _einsum(node, ins, outs) -> int:
    """The product of every index's size: what a naive contraction loops over."""
    raw = _attr(node, "equation", b"")
    equation = raw.decode() if isinstance(raw, bytes) else str(raw)
    terms = equation.replace(" ", "").split("->")[0].split(",")
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, ins, strict=False):
        letters = re.sub(r"\.\.\.", "", term)
        if shape is None:
            continue
        for letter, size in zip(letters[::-1], shape[::-1], strict=False):
            sizes[letter] = max(sizes.get(letter, 1), size)
    batch = math.prod(outs[0][: len(outs[0]) - len(sizes)]) if outs[0] else 1
    return max(1, batch) * math.prod(sizes.values())


def _transcendental(node, ins, outs) -> int:
    return TRANSCENDENTAL * sum(elements(s) for s in outs)


def _reduce(node, ins, outs) -> int:
    return elements(ins[0])


def _tree_depths(node: onnx.NodeProto) -> list[int]:
    """Depth of every tree in a TreeEnsemble* node: the most comparisons one row can make."""
    tree_ids = list(_attr(node, "nodes_treeids") or [])
    node_ids = list(_attr(node, "nodes_nodeids") or [])
    true_ids = list(_attr(node, "nodes_truenodeids") or [])
    false_ids = list(_attr(node, "nodes_falsenodeids") or [])
    modes = [m.decode() if isinstance(m, bytes) else m for m in _attr(node, "nodes_modes") or []]
    children: dict[tuple[int, int], list[int]] = {}
    for i, tree in enumerate(tree_ids):
        if i < len(modes) and modes[i] != "LEAF":
            children[(tree, node_ids[i])] = [true_ids[i], false_ids[i]]
    depths = []
    for tree in sorted(set(tree_ids)):
        root = min(n for t, n in zip(tree_ids, node_ids, strict=False) if t == tree)
        depth, frontier, seen = 0, [root], set()
        while frontier and depth <= len(node_ids):
            depth += 1
            seen.update(frontier)
            frontier = [c for n in frontier for c in children.get((tree, n), []) if c not in seen]
        depths.append(depth)
    return depths


def _tree_ensemble(node, ins, outs) -> int:
    rows = ins[0][0] if ins[0] else 1
    return rows * max(1, sum(_tree_depths(node))) * 4


def _linear_ml(node, ins, outs) -> int:
    coefficients = _attr(node, "coefficients") or []
    rows = ins[0][0] if ins[0] and len(ins[0]) > 1 else 1
    return rows * max(1, len(coefficients))


def _svm(node, ins, outs) -> int:
    vectors = _attr(node, "support_vectors") or _attr(node, "coefficients") or []
    rows = ins[0][0] if ins[0] and len(ins[0]) > 1 else 1
    return rows * max(1, len(vectors)) * TRANSCENDENTAL


RULES: dict[str, Rule] = {
    "MatMul": _matmul,
    "MatMulInteger": _matmul,
    "QLinearMatMul": _matmul,
    "Gemm": _gemm,
    "Conv": _conv,
    "ConvInteger": _conv,
    "QLinearConv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "LpPool": _pool,
    "LSTM": _recurrent(4),
    "GRU": _recurrent(3),
    "RNN": _recurrent(1),
    "Einsum": _einsum,
    "TreeEnsembleRegressor": _tree_ensemble,
    "TreeEnsembleClassifier": _tree_ensemble,
    "LinearRegressor": _linear_ml,
    "LinearClassifier": _linear_ml,
    "SVMRegressor": _svm,
    "SVMClassifier": _svm,
    **{op: _reduce for op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                              "ReduceL1", "ReduceL2", "ReduceSumSquare", "ArgMax", "ArgMin",
                              "GlobalAveragePool", "GlobalMaxPool", "CumSum", "TopK")},
    **{op: _transcendental for op in _TRANSCENDENTAL_OPS},
}  # fmt: skip


def node_macs(
    node: onnx.NodeProto, ins: Sequence[Shape | None], outs: Sequence[Shape | None]
) -> int:
    """Multiply-adds `node` does for these shapes (0 for ops that only move data)."""
    rule = RULES.get(node.op_type)
    return int(rule(node, ins, outs)) if rule is not None else 0
