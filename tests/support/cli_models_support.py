"""Helpers of the `ogkit models` CLI tests (tests/unit/cli_models/): small ONNX models built
with onnx.helper, `ogkit models ...` through click's CliRunner with the store the project's,
and the project's store."""

from __future__ import annotations

from pathlib import Path

import onnx
from click.testing import CliRunner, Result
from onnx import TensorProto, helper

from ogkit.cli import main
from ogkit.models.store import ModelStore


def onnx_bytes(graph: onnx.GraphProto, opset: int = 17) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


def relu_graph() -> onnx.GraphProto:
    """x float [batch, 3] -> y float [batch, 3]: a dynamic dim with a name."""
    return helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
    )


def scale_graph() -> onnx.GraphProto:
    """features float [1, 4] and a dim-less count int64 [?] -> score float [1] (Mul, ReduceSum)."""
    return helper.make_graph(
        [
            helper.make_node("Mul", ["features", "w"], ["weighted"]),
            helper.make_node("ReduceSum", ["weighted"], ["score"], keepdims=0),
            helper.make_node("Identity", ["count"], ["count_out"]),
        ],
        "scale",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("count", TensorProto.INT64, [None]),
        ],
        [
            helper.make_tensor_value_info("score", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("count_out", TensorProto.INT64, [None]),
        ],
        [helper.make_tensor("w", TensorProto.FLOAT, [1, 4], [1.0, 2.0, 3.0, 4.0])],
    )


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+: stderr is always apart
        return CliRunner()


def ogkit(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run in the current directory with no OGKIT_MODEL_STORE: the store is the project's."""
    return runner().invoke(
        main, ["models", *args], env={"OGKIT_MODEL_STORE": None, "COLUMNS": "200", **(env or {})}
    )


def store_of(project: Path) -> ModelStore:
    return ModelStore(project / ".ogkit" / "models")
