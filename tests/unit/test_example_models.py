"""The example ONNX models: valid, deterministic, and behaving as their docs say."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ogkit
from og_examples.models import (
    CREDIT_RISK_CLASSES,
    EXAMPLES,
    SENTIMENT_LEXICON,
    ExampleModel,
    build_examples,
    credit_risk,
    fit_quality,
    sample_input,
    volatility,
)

NUMERIC = ("volatility", "credit_risk", "upstream_demo")

# name -> [(output name, onnxruntime type, shape)], in the documented order
OUTPUTS = {
    "volatility": [("volatility", "tensor(float)", [1])],
    "credit_risk": [
        ("probabilities", "tensor(float)", [1, 3]),
        ("label", "tensor(string)", [1]),
    ],
    "sentiment": [("score", "tensor(float)", [1])],
    "upstream_demo": [("output", "tensor(float)", [1])],
}
INPUTS = {
    "volatility": [("open_high_low_close", "tensor(float)", [10, 4])],
    "credit_risk": [("features", "tensor(float)", [1, 4])],
    "sentiment": [("text", "tensor(string)", ["n"])],
    "upstream_demo": [("input", "tensor(float)", [2])],
}


@pytest.fixture(scope="module")
def sessions(example_files: dict[str, Path]) -> dict[str, ort.InferenceSession]:
    return {name: ort.InferenceSession(str(path)) for name, path in example_files.items()}


def _candles(sigma: float, seed: int, start: float = 2000.0) -> np.ndarray:
    """Ten hourly candles of a GBM with hourly volatility `sigma`, sampled every minute."""
    rng = np.random.default_rng(seed)
    steps = sigma / np.sqrt(60) * rng.standard_normal((10, 60))
    path = np.log(start) + np.concatenate([[0.0], np.cumsum(steps)])
    rows = []
    for hour in range(10):
        seg = path[hour * 60 : hour * 60 + 61]
        rows.append([seg[0], seg.max(), seg.min(), seg[-1]])
    return np.exp(np.array(rows)).astype(np.float32)


def _run(session: ort.InferenceSession, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    return session.run(None, feeds)


# --- registry and files -----------------------------------------------------------------------


def test_registry() -> None:
    assert list(EXAMPLES) == ["volatility", "credit_risk", "sentiment", "upstream_demo"]
    for name, example in EXAMPLES.items():
        assert isinstance(example, ExampleModel)
        assert example.name == name
        assert example.description


def test_build_examples_writes_files_idempotently(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "store"
    first = build_examples(out)
    assert first == {name: out / f"{name}.onnx" for name in EXAMPLES}
    stats = {name: path.stat().st_mtime_ns for name, path in first.items()}
    second = build_examples(out)
    assert second == first
    assert {name: path.stat().st_mtime_ns for name, path in second.items()} == stats
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.onnx" for n in EXAMPLES)
    # a damaged file is repaired
    first["sentiment"].write_bytes(b"garbage")
    build_examples(out)
    assert first["sentiment"].read_bytes() == EXAMPLES["sentiment"].build()


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_check_model(example_files: dict[str, Path], name: str) -> None:
    model = onnx.load(str(example_files[name]))
    onnx.checker.check_model(model, full_check=True)
    assert model.producer_name == "ogkit.models.examples"
    assert model.graph.name == name


def test_builds_are_byte_identical(example_files: dict[str, Path]) -> None:
    first = {name: path.read_bytes() for name, path in example_files.items()}
    # refit from scratch, not from the in-process cache
    volatility.fit.cache_clear()
    credit_risk.fit.cache_clear()
    second = {name: example.build() for name, example in EXAMPLES.items()}
    assert first == second


def test_builds_are_byte_identical_across_processes(example_files: dict[str, Path]) -> None:
    expected = {
        name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in example_files.items()
    }
    code = (
        "import hashlib\n"
        "from og_examples.models import EXAMPLES\n"
        "for n, m in EXAMPLES.items():\n"
        "    print(n, hashlib.sha256(m.build()).hexdigest())\n"
    )
    root = str(Path(ogkit.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        "PYTHONHASHSEED": "12345",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert dict(line.split() for line in out.splitlines()) == expected


@pytest.mark.parametrize("name", NUMERIC)
def test_numeric_models_use_only_default_domain(example_files: dict[str, Path], name: str) -> None:
    model = onnx.load(str(example_files[name]))
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    for node in model.graph.node:
        assert node.domain in ("", "ai.onnx"), (node.op_type, node.domain)


# --- runtime signatures -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_signature_and_sample_run(sessions: dict[str, ort.InferenceSession], name: str) -> None:
    session = sessions[name]
    assert [(i.name, i.type, i.shape) for i in session.get_inputs()] == INPUTS[name]
    assert [(o.name, o.type, o.shape) for o in session.get_outputs()] == OUTPUTS[name]
    feeds = sample_input(name)
    assert list(feeds) == [i.name for i in session.get_inputs()]
    results = _run(session, feeds)
    assert len(results) == len(OUTPUTS[name])
    for value, (_, kind, shape) in zip(results, OUTPUTS[name], strict=True):
        assert list(value.shape) == shape
        if kind == "tensor(float)":
            assert value.dtype == np.float32
            assert np.all(np.isfinite(value))
        else:
            assert value.dtype == object
            assert all(isinstance(v, str) for v in value.ravel())


def test_sample_input_unknown_name() -> None:
    with pytest.raises(KeyError):
        sample_input("nope")


# --- volatility -------------------------------------------------------------------------------


def test_volatility_positive_and_ordered(sessions: dict[str, ort.InferenceSession]) -> None:
    session = sessions["volatility"]
    (sample,) = _run(session, sample_input("volatility"))
    assert 0.0005 < sample[0] < 0.05
    for seed in range(5):
        (calm,) = _run(session, {"open_high_low_close": _candles(0.002, seed)})
        (wild,) = _run(session, {"open_high_low_close": _candles(0.02, seed)})
        assert 0 < calm[0] < wild[0]
        assert calm[0] < 0.005 < 0.01 < wild[0]


def test_volatility_flat_market_is_floored_positive(
    sessions: dict[str, ort.InferenceSession],
) -> None:
    flat = np.full((10, 4), 2000.0, dtype=np.float32)
    (out,) = _run(sessions["volatility"], {"open_high_low_close": flat})
    assert out[0] > 0


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e3), seed=st.integers(0, 1000))
def test_volatility_is_scale_free(example_files: dict[str, Path], scale: float, seed: int) -> None:
    session = ort.InferenceSession(str(example_files["volatility"]))
    candles = _candles(0.008, seed)
    (base,) = _run(session, {"open_high_low_close": candles})
    (scaled,) = _run(session, {"open_high_low_close": (candles * scale).astype(np.float32)})
    # float32 log of prices is accurate to ~1e-7 absolute, the features are ~1e-2
    assert scaled[0] == pytest.approx(base[0], rel=2e-3)


def test_volatility_fit_quality() -> None:
    quality = fit_quality()["volatility"]
    assert quality["test_r2"] > 0.6
    assert quality["test_mae"] < 0.5 * quality["test_target_mean"]


# --- credit_risk ------------------------------------------------------------------------------


def _credit(session: ort.InferenceSession, row: list[float]) -> tuple[np.ndarray, str]:
    probabilities, label = _run(session, {"features": np.array([row], dtype=np.float32)})
    return probabilities, label[0]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ([2.8, 0.10, 0.10, 8.0], "low"),  # well collateralised, low usage, old account
        ([1.05, 0.95, 1.30, 0.3], "high"),  # barely collateralised, maxed out, new account
        ([1.8, 0.45, 0.60, 4.0], "medium"),
    ],
)
def test_credit_risk_labels(
    sessions: dict[str, ort.InferenceSession], row: list[float], expected: str
) -> None:
    probabilities, label = _credit(sessions["credit_risk"], row)
    assert float(probabilities.sum()) == pytest.approx(1.0, abs=1e-5)
    assert label == expected
    assert CREDIT_RISK_CLASSES[int(np.argmax(probabilities))] == label


@settings(max_examples=50, deadline=None)
@given(
    row=st.tuples(
        st.floats(1.0, 3.0), st.floats(0.0, 1.0), st.floats(0.0, 1.5), st.floats(0.0, 10.0)
    )
)
def test_credit_risk_probabilities_valid(
    example_files: dict[str, Path], row: tuple[float, ...]
) -> None:
    session = ort.InferenceSession(str(example_files["credit_risk"]))
    probabilities, label = _credit(session, list(row))
    assert probabilities.dtype == np.float32
    assert np.all(probabilities >= 0)
    assert float(probabilities.sum()) == pytest.approx(1.0, abs=1e-5)
    assert label in CREDIT_RISK_CLASSES


def test_credit_risk_fit_quality() -> None:
    assert fit_quality()["credit_risk"]["test_accuracy"] > 0.8


# --- sentiment --------------------------------------------------------------------------------


def _score(session: ort.InferenceSession, words: list[str]) -> float:
    (score,) = _run(session, {"text": np.array(words, dtype=object)})
    assert score.shape == (1,) and score.dtype == np.float32
    return float(score[0])


def test_sentiment_exact_value(sessions: dict[str, ort.InferenceSession]) -> None:
    expected = np.float32(
        SENTIMENT_LEXICON["good"] + SENTIMENT_LEXICON["great"] + SENTIMENT_LEXICON["bad"]
    )
    assert _score(sessions["sentiment"], ["Good", "GREAT", "bad"]) == expected == 2.5


def test_sentiment_behaviour(sessions: dict[str, ort.InferenceSession]) -> None:
    session = sessions["sentiment"]
    assert _score(session, ["unknown", "words"]) == 0.0
    assert _score(session, ["bullish", "BULLISH", "Bullish"]) == 3 * SENTIMENT_LEXICON["bullish"]
    assert _score(session, ["scam"]) < 0 < _score(session, ["moon"])
    assert _score(session, list(SENTIMENT_LEXICON)) == pytest.approx(
        sum(SENTIMENT_LEXICON.values())
    )
    words = sample_input("sentiment")["text"].tolist()
    assert _score(session, words) == sum(SENTIMENT_LEXICON.get(w.lower(), 0.0) for w in words)
