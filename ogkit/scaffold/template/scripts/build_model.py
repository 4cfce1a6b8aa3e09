"""Build the forecaster model from generated data and add it to this project's model store.

    python scripts/build_model.py

`ogkit init` ran it once; the tests run it again if the model is missing (`.ogkit/` is not
committed). The model is a linear regression over the last four prices, fitted by least
squares and rounded to two decimals, so its answers are exact on every machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper

from ogkit.models.store import ModelStore

ROOT = Path(__file__).resolve().parents[1]
ALIAS = "forecaster"


def fit(seed: int = 7) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng(seed)
    prices = rng.uniform(90, 110, size=(512, 4))
    target = prices @ np.array([0.1, 0.2, 0.3, 0.4]) + 1.5 + rng.normal(0, 0.05, size=512)
    design = np.c_[prices, np.ones(len(prices))]
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    coef = np.round(coef, 2)
    return coef[:4], float(coef[4])


def onnx_model(weights: np.ndarray, bias: float) -> bytes:
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["prices", "weights"], ["scaled"]),
            helper.make_node("Add", ["scaled", "bias"], ["forecast"]),
        ],
        "forecaster",
        [helper.make_tensor_value_info("prices", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("forecast", TensorProto.FLOAT, [1])],
        initializer=[
            helper.make_tensor("weights", TensorProto.FLOAT, [4, 1], weights.tolist()),
            helper.make_tensor("bias", TensorProto.FLOAT, [1], [bias]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def build(root: Path = ROOT) -> str:
    """Store the model under the alias `forecaster`; returns its CID."""
    store = ModelStore(root / ".ogkit" / "models")
    return store.add(onnx_model(*fit()), ALIAS)


if __name__ == "__main__":
    print(f"{ALIAS} {build()}")
