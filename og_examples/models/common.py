"""What every example ONNX builder shares: a fixed producer, the opsets, rounding, serialising.

Kept in one place because these values are part of the models' bytes, and so of their CIDs.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

PRODUCER_NAME = "ogkit.models.examples"
"""The module's old name, kept: it is written into every model, so changing it would change
every example's bytes and CID."""
PRODUCER_VERSION = "1"
"""Fixed, not the package version: bumping the package must not change the models' bytes."""

NUMERIC_OPSET = 17  # EZKL (tract) friendly
NUMERIC_IR_VERSION = 8  # the IR version that goes with opset 17 (onnx 1.12)
STRING_OPSET = 19  # first opset whose Equal accepts strings
STRING_IR_VERSION = 9  # the IR version that goes with opset 19 (onnx 1.14)

_DECIMALS = 6
"""Fitted parameters are rounded to this many decimals so BLAS/LAPACK differences in the last
bits between machines cannot change the serialised model."""


def const(name: str, value: np.ndarray) -> onnx.TensorProto:
    """An initializer named `name` holding `value`."""
    return numpy_helper.from_array(np.asarray(value), name)


def serialise(graph: onnx.GraphProto, opset: int, ir_version: int, doc: str) -> bytes:
    """The model's bytes: fixed producer, no timestamps, checked by onnx's full checker."""
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name=PRODUCER_NAME,
        producer_version=PRODUCER_VERSION,
        doc_string=doc,
    )
    model.ir_version = ir_version
    model.model_version = 1
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def round_params(values: np.ndarray) -> np.ndarray:
    """Fitted parameters as float32, rounded (see `_DECIMALS`)."""
    return np.round(np.asarray(values, dtype=np.float64), _DECIMALS).astype(np.float32)


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination of `pred` against `y`."""
    return float(1.0 - np.sum((y - pred) ** 2) / np.sum((y - np.mean(y)) ** 2))
