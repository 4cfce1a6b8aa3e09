"""Three small, deterministic example ONNX models for demos, tests and benchmarks.

Every model is built from scratch with `onnx.helper`: its parameters are fitted with numpy on
synthetic data drawn from fixed seeds, rounded, and serialised with a fixed producer and no
timestamps, so a build gives the same bytes every run (and so the same content address in the
model store). No ai.onnx.ml operators are used, so the numeric models stay provable with EZKL.

- ``volatility``: ten hourly ETH/USDT-like OHLC candles -> next-hour realised volatility.
  Range features (log high/low, |log close/open|) are computed inside the graph, then a linear
  (HAR-style) regression fitted by least squares; opset 17.
- ``credit_risk``: four borrower features -> low/medium/high risk probabilities and label, a
  multinomial logistic regression fitted by gradient descent; opset 17.
- ``sentiment``: a list of words -> the sum of their weights in a fixed, hand-written lexicon
  (case-insensitive); opset 19, because ``Equal`` on strings needs it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = [
    "CREDIT_RISK_CLASSES",
    "CREDIT_RISK_FEATURES",
    "EXAMPLES",
    "SENTIMENT_LEXICON",
    "UPSTREAM_DEMO_ALIAS",
    "ExampleModel",
    "build_examples",
    "fit_quality",
    "sample_input",
]

PRODUCER_NAME = "ogkit.models.examples"
PRODUCER_VERSION = "1"
"""Fixed, not the package version: bumping the package must not change the models' bytes."""

NUMERIC_OPSET = 17  # EZKL (tract) friendly
NUMERIC_IR_VERSION = 8  # the IR version that goes with opset 17 (onnx 1.12)
STRING_OPSET = 19  # first opset whose Equal accepts strings
STRING_IR_VERSION = 9  # the IR version that goes with opset 19 (onnx 1.14)

_DECIMALS = 6
"""Fitted parameters are rounded to this many decimals so BLAS/LAPACK differences in the last
bits between machines cannot change the serialised model."""


@dataclass(frozen=True)
class ExampleModel:
    """A named example model; `build` returns its serialised ONNX bytes (deterministic)."""

    name: str
    description: str
    build: Callable[[], bytes]


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def _serialise(graph: onnx.GraphProto, opset: int, ir_version: int, doc: str) -> bytes:
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


def _round(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64), _DECIMALS).astype(np.float32)


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    return float(1.0 - np.sum((y - pred) ** 2) / np.sum((y - np.mean(y)) ** 2))


# --------------------------------------------------------------------------------------------
# Model 1: volatility
# --------------------------------------------------------------------------------------------

VOL_CANDLES = 10
VOL_MINUTES = 60  # simulated steps per hourly candle
VOL_REGIMES = np.array([0.0025, 0.005, 0.010, 0.020])  # hourly sigma of calm .. stressed
VOL_SWITCH_PROB = 0.08  # chance per hour of moving to a neighbouring regime
VOL_FLOOR_PCT = 0.01  # the forecast never goes below 0.01 % (0.0001 as a fraction)


def _simulate_candles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """GBM with a Markov-switching hourly sigma (plus jitter), sampled every minute.

    Returns ``(ohlc, target)``: ``ohlc`` float32 [n, 10, 4] hourly candles around 2000, and
    ``target`` float64 [n], the realised volatility (root sum of squared one-minute log returns)
    of the hour after the tenth candle.
    """
    hours, steps = VOL_CANDLES + 1, VOL_MINUTES
    regime = np.empty((n, hours), dtype=np.int64)
    regime[:, 0] = rng.integers(0, len(VOL_REGIMES), n)
    for hour in range(1, hours):
        switch = rng.random(n) < VOL_SWITCH_PROB
        step = np.where(rng.random(n) < 0.5, -1, 1)
        moved = np.clip(regime[:, hour - 1] + step, 0, len(VOL_REGIMES) - 1)
        regime[:, hour] = np.where(switch, moved, regime[:, hour - 1])
    sigma = VOL_REGIMES[regime] * np.exp(0.15 * rng.standard_normal((n, hours)))
    minute_sigma = sigma[:, :, None] / np.sqrt(steps)
    returns = minute_sigma * rng.standard_normal((n, hours, steps)) - 0.5 * minute_sigma**2
    log_p0 = np.log(2000.0) + 0.1 * rng.standard_normal(n)
    path = log_p0[:, None] + np.cumsum(returns.reshape(n, hours * steps), axis=1)
    path = np.concatenate([log_p0[:, None], path], axis=1)  # [n, hours * steps + 1]
    opens = path[:, 0 : hours * steps : steps]
    closes = path[:, steps::steps]
    inside = np.concatenate([opens[:, :, None], path[:, 1:].reshape(n, hours, steps)], axis=2)
    ohlc = np.stack([opens, inside.max(axis=2), inside.min(axis=2), closes], axis=2)
    ohlc = np.exp(ohlc[:, :VOL_CANDLES]).astype(np.float32)
    target = np.sqrt(np.sum(returns[:, VOL_CANDLES] ** 2, axis=1))
    return ohlc, target


def _volatility_features(ohlc: np.ndarray) -> np.ndarray:
    """The graph's features in numpy: per candle [log(h/l), |log(c/o)|] in percent, [n, 20]."""
    logp = np.log(ohlc.astype(np.float32))
    high_low = logp[:, :, 1] - logp[:, :, 2]
    close_open = np.abs(logp[:, :, 3] - logp[:, :, 0])
    feats = np.stack([high_low, close_open], axis=2).reshape(len(ohlc), 2 * VOL_CANDLES)
    return feats.astype(np.float64) * 100.0


def _volatility_predict(feats: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    pct = np.maximum(feats @ weights.astype(np.float64) + bias - VOL_FLOOR_PCT, 0.0)
    return (pct + VOL_FLOOR_PCT) / 100.0


@cache
def _fit_volatility() -> tuple[np.ndarray, np.float32, dict[str, float]]:
    rng = np.random.default_rng(20240601)
    train_x, train_y = _simulate_candles(8000, rng)
    test_x, test_y = _simulate_candles(4000, rng)
    train_f, test_f = _volatility_features(train_x), _volatility_features(test_x)
    design = np.concatenate([train_f, np.ones((len(train_f), 1))], axis=1)
    solution = np.linalg.lstsq(design, train_y * 100.0, rcond=None)[0]
    weights, bias = _round(solution[:-1]), _round(solution[-1:])[0]
    train_p = _volatility_predict(train_f, weights, float(bias))
    test_p = _volatility_predict(test_f, weights, float(bias))
    metrics = {
        "train_r2": _r2(train_y, train_p),
        "test_r2": _r2(test_y, test_p),
        "train_mae": float(np.mean(np.abs(train_y - train_p))),
        "test_mae": float(np.mean(np.abs(test_y - test_p))),
        "test_target_mean": float(np.mean(test_y)),
    }
    return weights, bias, metrics


def _build_volatility() -> bytes:
    weights, bias, _ = _fit_volatility()
    n = 2 * VOL_CANDLES
    col = {"open": 0, "high": 1, "low": 2, "close": 3}
    inits = [
        _const("axis_columns", np.array([1], dtype=np.int64)),
        *(
            t
            for key, idx in col.items()
            for t in (
                _const(f"{key}_start", np.array([idx], dtype=np.int64)),
                _const(f"{key}_end", np.array([idx + 1], dtype=np.int64)),
            )
        ),
        _const("flat_shape", np.array([1, n], dtype=np.int64)),
        _const("to_percent", np.array(100.0, dtype=np.float32)),
        _const("weights", weights.reshape(n, 1)),
        _const("bias", np.array([bias - VOL_FLOOR_PCT], dtype=np.float32)),
        _const("floor_percent", np.array(VOL_FLOOR_PCT, dtype=np.float32)),
        _const("to_fraction", np.array(0.01, dtype=np.float32)),
        _const("out_shape", np.array([1], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("Log", ["open_high_low_close"], ["log_prices"]),
        *(
            helper.make_node(
                "Slice",
                ["log_prices", f"{key}_start", f"{key}_end", "axis_columns"],
                [f"log_{key}"],
            )
            for key in col
        ),
        helper.make_node("Sub", ["log_high", "log_low"], ["high_low_range"]),
        helper.make_node("Sub", ["log_close", "log_open"], ["close_open_return"]),
        helper.make_node("Abs", ["close_open_return"], ["close_open_range"]),
        helper.make_node("Concat", ["high_low_range", "close_open_range"], ["ranges"], axis=1),
        helper.make_node("Reshape", ["ranges", "flat_shape"], ["ranges_flat"]),
        helper.make_node("Mul", ["ranges_flat", "to_percent"], ["features"]),
        helper.make_node("Gemm", ["features", "weights", "bias"], ["linear"]),
        helper.make_node("Relu", ["linear"], ["above_floor"]),
        helper.make_node("Add", ["above_floor", "floor_percent"], ["forecast_percent"]),
        helper.make_node("Mul", ["forecast_percent", "to_fraction"], ["forecast"]),
        helper.make_node("Reshape", ["forecast", "out_shape"], ["volatility"]),
    ]
    graph = helper.make_graph(
        nodes,
        "volatility",
        [helper.make_tensor_value_info("open_high_low_close", TensorProto.FLOAT, [VOL_CANDLES, 4])],
        [helper.make_tensor_value_info("volatility", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    return _serialise(graph, NUMERIC_OPSET, NUMERIC_IR_VERSION, EXAMPLES_DOC["volatility"])


# --------------------------------------------------------------------------------------------
# Model 2: credit_risk
# --------------------------------------------------------------------------------------------

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
def _fit_credit_risk() -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
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
    weights = _round(w / std[:, None])
    bias = _round(b - (mean / std) @ w)

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


def _build_credit_risk() -> bytes:
    weights, bias, _ = _fit_credit_risk()
    inits = [
        _const("weights", weights),
        _const("bias", bias),
        _const("class_names", np.array(CREDIT_RISK_CLASSES, dtype=object)),
    ]
    nodes = [
        helper.make_node("Gemm", ["features", "weights", "bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["class_index"], axis=1, keepdims=0),
        helper.make_node("Gather", ["class_names", "class_index"], ["label"], axis=0),
    ]
    graph = helper.make_graph(
        nodes,
        "credit_risk",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 4])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 3]),
            helper.make_tensor_value_info("label", TensorProto.STRING, [1]),
        ],
        initializer=inits,
    )
    return _serialise(graph, NUMERIC_OPSET, NUMERIC_IR_VERSION, EXAMPLES_DOC["credit_risk"])


# --------------------------------------------------------------------------------------------
# Model 3: sentiment
# --------------------------------------------------------------------------------------------

SENTIMENT_LEXICON: dict[str, float] = {
    # Hand-written, not fitted. Weights are multiples of 0.25 so float32 sums are exact.
    "good": 1.5, "great": 2.5, "excellent": 3.0, "best": 2.5, "love": 2.25, "happy": 2.0,
    "bullish": 2.0, "moon": 2.0, "rally": 1.75, "gain": 1.5, "gains": 1.5, "profit": 1.5,
    "win": 1.5, "breakout": 1.5, "strong": 1.25, "solid": 1.25, "growth": 1.25, "safe": 1.0,
    "pump": 0.75, "up": 0.5,
    "bad": -1.5, "terrible": -3.0, "scam": -3.0, "awful": -2.75, "worst": -2.75, "rug": -2.75,
    "crash": -2.5, "hack": -2.5, "rekt": -2.5, "panic": -2.25, "bearish": -2.0, "fail": -2.0,
    "dump": -1.75, "fear": -1.75, "loss": -1.5, "losses": -1.5, "weak": -1.25, "risky": -1.0,
    "sell": -0.75, "down": -0.5,
}  # fmt: skip


def _build_sentiment() -> bytes:
    vocab = np.array(list(SENTIMENT_LEXICON), dtype=object).reshape(-1, 1)
    weights = np.array(list(SENTIMENT_LEXICON.values()), dtype=np.float32)
    inits = [
        _const("vocabulary", vocab),
        _const("word_weights", weights),
        _const("axis_words", np.array([1], dtype=np.int64)),
        _const("axis_vocabulary", np.array([0], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node(
            "StringNormalizer",
            ["text"],
            ["words"],
            case_change_action="LOWER",
            is_case_sensitive=0,
            locale="C",  # onnxruntime fails without it where en_US is not installed
        ),
        helper.make_node("Equal", ["vocabulary", "words"], ["matches"]),  # [V, n]
        helper.make_node("Cast", ["matches"], ["matches_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["matches_f", "axis_words"], ["counts"], keepdims=0),
        helper.make_node("Mul", ["counts", "word_weights"], ["contributions"]),
        helper.make_node("ReduceSum", ["contributions", "axis_vocabulary"], ["score"], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        "sentiment",
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["n"])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    return _serialise(graph, STRING_OPSET, STRING_IR_VERSION, EXAMPLES_DOC["sentiment"])


UPSTREAM_DEMO_ALIAS = "QmbbzDwqSxZSgkz1EbsNHp2mb67rYeUYHYWJ4wECE24S7A"
"""An alpha-testnet-style IPFS id that `ogkit models build-examples` aliases to
`upstream_demo`, to show a contract written for alpha running unchanged here."""
UPSTREAM_DEMO_WEIGHTS = (2.0, -0.5)
UPSTREAM_DEMO_BIAS = 0.25


def _build_upstream_demo() -> bytes:
    """The shape OpenGradient's own examples call: one `input` tensor of two numbers."""
    inits = [
        _const("weights", np.array(UPSTREAM_DEMO_WEIGHTS, dtype=np.float32).reshape(2, 1)),
        _const("bias", np.array([UPSTREAM_DEMO_BIAS], dtype=np.float32)),
        _const("row", np.array([1, 2], dtype=np.int64)),
        _const("flat", np.array([1], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("Reshape", ["input", "row"], ["input_row"]),
        helper.make_node("MatMul", ["input_row", "weights"], ["product"]),
        helper.make_node("Reshape", ["product", "flat"], ["product_flat"]),
        helper.make_node("Add", ["product_flat", "bias"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "upstream_demo",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    return _serialise(graph, NUMERIC_OPSET, NUMERIC_IR_VERSION, EXAMPLES_DOC["upstream_demo"])


# --------------------------------------------------------------------------------------------
# Registry, files, sample inputs
# --------------------------------------------------------------------------------------------

EXAMPLES_DOC: dict[str, str] = {
    "volatility": (
        "Forecast of next-hour realised volatility (a fraction, e.g. 0.0123) from the last 10 "
        "hourly candles. Input open_high_low_close float32 [10, 4] (open, high, low, close; "
        "oldest first; prices > 0, any scale). Output volatility float32 [1]. Features "
        "log(high/low) and |log(close/open)| per candle, linear regression fitted on "
        "synthetic regime-switching GBM paths."
    ),
    "credit_risk": (
        "Borrower risk class. Input features float32 [1, 4]: collateral_ratio (1-3), "
        "utilization (0-1), debt_to_income (0-1.5), account_age_years (0-10). Outputs "
        "probabilities float32 [1, 3] (low, medium, high) and label string [1]. Multinomial "
        "logistic regression fitted on synthetic borrowers."
    ),
    "sentiment": (
        "Lexicon sentiment of a list of words. Input text string [n] (n >= 1, one word per "
        "element, case-insensitive). Output score float32 [1]: the sum of the hand-written "
        "lexicon weights of the words (unknown words count 0; no negation handling)."
    ),
    "upstream_demo": (
        "The input shape OpenGradient's published examples send: input float32 [2]. Output "
        "output float32 [1] = 2.0 * input[0] - 0.5 * input[1] + 0.25 (fixed weights)."
    ),
}

EXAMPLES: dict[str, ExampleModel] = {
    "volatility": ExampleModel("volatility", EXAMPLES_DOC["volatility"], _build_volatility),
    "credit_risk": ExampleModel("credit_risk", EXAMPLES_DOC["credit_risk"], _build_credit_risk),
    "sentiment": ExampleModel("sentiment", EXAMPLES_DOC["sentiment"], _build_sentiment),
    "upstream_demo": ExampleModel(
        "upstream_demo", EXAMPLES_DOC["upstream_demo"], _build_upstream_demo
    ),
}


def build_examples(out_dir: Path) -> dict[str, Path]:
    """Write every example as ``<out_dir>/<name>.onnx`` so demos and the model store can load them.

    Idempotent: a file whose bytes are already right is left untouched (mtime included);
    otherwise it is replaced atomically, so a concurrent reader never sees half a model.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, example in EXAMPLES.items():
        data = example.build()
        path = out_dir / f"{name}.onnx"
        if not (path.is_file() and path.read_bytes() == data):
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(tmp, 0o644)  # mkstemp makes it 0600; models are not secrets
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        paths[name] = path
    return paths


def fit_quality() -> dict[str, dict[str, float]]:
    """In-sample and held-out fit metrics of the fitted examples, for docs and sanity checks."""
    return {"volatility": dict(_fit_volatility()[2]), "credit_risk": dict(_fit_credit_risk()[2])}


_SAMPLE_CANDLES = [
    # open, high, low, close: ten hourly ETH/USDT candles, oldest first
    [1998.40, 2006.85, 1991.20, 2003.10],
    [2003.10, 2011.75, 1999.05, 2008.60],
    [2008.60, 2013.30, 1996.45, 1999.90],
    [1999.90, 2004.20, 1987.35, 1990.15],
    [1990.15, 2001.80, 1984.60, 1997.25],
    [1997.25, 2019.40, 1995.10, 2015.85],
    [2015.85, 2027.60, 2010.25, 2021.30],
    [2021.30, 2024.95, 2003.70, 2007.45],
    [2007.45, 2015.20, 1998.80, 2012.05],
    [2012.05, 2022.40, 2006.15, 2018.70],
]


def sample_input(name: str) -> dict[str, np.ndarray]:
    """A realistic, valid input for example `name`, keyed by input name (for demos and tests)."""
    if name == "volatility":
        return {"open_high_low_close": np.array(_SAMPLE_CANDLES, dtype=np.float32)}
    if name == "credit_risk":
        # collateral_ratio, utilization, debt_to_income, account_age_years
        return {"features": np.array([[1.8, 0.45, 0.6, 4.0]], dtype=np.float32)}
    if name == "sentiment":
        words = ["ETH", "looks", "bullish", "after", "a", "strong", "breakout"]
        return {"text": np.array(words, dtype=object)}
    if name == "upstream_demo":
        return {"input": np.array([0.07286679744720459, 0.4486280852050781], dtype=np.float32)}
    raise KeyError(f"unknown example model {name!r}; known: {sorted(EXAMPLES)}")
