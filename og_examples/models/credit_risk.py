"""Example model ``credit_risk``: four borrower features -> low/medium/high risk probabilities
and label, a multinomial logistic regression fitted by gradient descent on simulated
borrowers; opset 17."""

from __future__ import annotations

from functools import cache

import numpy as np
from onnx import TensorProto, helper

from og_examples.models.common import (
    NUMERIC_IR_VERSION,
    NUMERIC_OPSET,
    const,
    round_params,
    serialise,
)

NAME = "credit_risk"
DOC = (
    "Borrower risk class. Input features float32 [1, 4]: collateral_ratio (1-3), "
    "utilization (0-1), debt_to_income (0-1.5), account_age_years (0-10). Outputs "
    "probabilities float32 [1, 3] (low, medium, high) and label string [1]. Multinomial "
    "logistic regression fitted on synthetic borrowers."
)

CREDIT_RISK_FEATURES = ("collateral_ratio", "utilization", "debt_to_income", "account_age_years")
CREDIT_RISK_CLASSES = ("low", "medium", "high")
_CREDIT_LOW = np.array([1.0, 0.0, 0.0, 0.0])
_CREDIT_HIGH = np.array([3.0, 1.0, 1.5, 10.0])


def _simulate_borrowers(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Borrowers uniform over the documented ranges, labelled by a noisy linear risk rule."""
    x = _CREDIT_LOW + (_CREDIT_HIGH - _CREDIT_LOW) * rng.random((n, 4))
    cr, util, dti, age = x.T
    risk = (
        2.5 * (2.0 - cr)
        + 2.0 * (util - 0.5)
        + 2.0 * (dti - 0.75)
        - 0.2 * (age - 5.0)
        + 0.5 * rng.standard_normal(n)
    )
    y = np.where(risk < -0.8, 0, np.where(risk > 0.8, 2, 1))
    return x, y


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


@cache
def fit() -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """(weights, bias, fit metrics), fitted once per process from a fixed seed."""
    rng = np.random.default_rng(20240602)
    train_x, train_y = _simulate_borrowers(6000, rng)
    test_x, test_y = _simulate_borrowers(3000, rng)
    mean, std = train_x.mean(axis=0), train_x.std(axis=0)
    z = (train_x - mean) / std
    onehot = np.eye(3)[train_y]
    w, b = np.zeros((4, 3)), np.zeros(3)
    l2, rate = 1e-4, 1.0
    for _ in range(1500):  # full-batch gradient descent on the mean cross-entropy
        grad = (_softmax(z @ w + b) - onehot) / len(z)
        w -= rate * (z.T @ grad + l2 * w)
        b -= rate * grad.sum(axis=0)
    # fold the standardisation into the weights: ((x - mean) / std) @ w + b
    weights = round_params(w / std[:, None])
    bias = round_params(b - (mean / std) @ w)

    def accuracy(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(x @ weights + bias, axis=1) == y))

    metrics = {
        "train_accuracy": accuracy(train_x, train_y),
        "test_accuracy": accuracy(test_x, test_y),
        "test_class_share_low": float(np.mean(test_y == 0)),
        "test_class_share_medium": float(np.mean(test_y == 1)),
        "test_class_share_high": float(np.mean(test_y == 2)),
    }
    return weights, bias, metrics


def build() -> bytes:
    """The serialised model (deterministic)."""
    weights, bias, _ = fit()
    inits = [
        const("weights", weights),
        const("bias", bias),
        const("class_names", np.array(CREDIT_RISK_CLASSES, dtype=object)),
    ]
    nodes = [
        helper.make_node("Gemm", ["features", "weights", "bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["class_index"], axis=1, keepdims=0),
        helper.make_node("Gather", ["class_names", "class_index"], ["label"], axis=0),
    ]
    graph = helper.make_graph(
        nodes,
        NAME,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 4])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 3]),
            helper.make_tensor_value_info("label", TensorProto.STRING, [1]),
        ],
        initializer=inits,
    )
    return serialise(graph, NUMERIC_OPSET, NUMERIC_IR_VERSION, DOC)


def sample() -> dict[str, np.ndarray]:
    """A realistic borrower: collateral_ratio, utilization, debt_to_income, account_age_years."""
    return {"features": np.array([[1.8, 0.45, 0.6, 4.0]], dtype=np.float32)}
