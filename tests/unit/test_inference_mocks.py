"""Mocked model outputs in the inference engine (what `og.mock_model_output` rests on): a
mocked (model, exact input) pair answers through 0xF4 without running the model, its record
says so and is never signed or proved; any other input still runs the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from eth_abi import encode
from store_support import store_with

from ogkit.inference import MOCKED, InferenceEngine, MockError
from precompiles.host import CallContext, ModelNotFound
from precompiles.inference.model_codec import decode_model_output
from precompiles.inference.precompile import run
from precompiles.inference.types import ModelInferenceMode

CONTEXT = CallContext(b"\x01" * 20, b"\x02" * 20, 3, 0, 10**7)
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
SELECTOR = bytes.fromhex("7289e9c2")


def demo_call(values: list[tuple[int, int]], mode: int = 0) -> bytes:
    """`upstream_demo` (output = 2 a - 0.5 b + 0.25, float32) with TensorLib numbers."""
    return SELECTOR + encode(
        [REQUEST_TYPE], [(mode, "upstream_demo", ([("input", values, [2])], []))]
    )


def sentiment_call(words: list[str]) -> bytes:
    return SELECTOR + encode([REQUEST_TYPE], [(0, "sentiment", ([], [("text", words)]))])


def answer(result) -> list:
    assert not result.reverted, result.reason
    output = decode_model_output(result.output)
    return [(t.name, list(t.values), list(t.shape)) for t in output.numbers]


@pytest.fixture
def engine(tmp_path: Path, example_files: dict[str, Path]) -> InferenceEngine:
    return InferenceEngine(store_with(tmp_path / "store", example_files))


def test_a_mock_answers_without_running_the_model(engine: InferenceEngine) -> None:
    engine.mock_output("upstream_demo", {"input": [1.5, 2]}, {"output": [42.25]})
    result = run(demo_call([(15, 1), (2, 0)]), CONTEXT, engine)
    assert answer(result) == [("output", [(4225, 2)], [1])]
    assert engine.model_runs == 0
    ((inference_id, record),) = engine.records.items()
    assert record.mocked is True
    assert record.settlement == MOCKED == "mocked"
    assert record.is_final
    assert inference_id not in engine.unsettled


def test_another_input_runs_the_real_model(engine: InferenceEngine) -> None:
    engine.mock_output("upstream_demo", {"input": [1.5, 2]}, {"output": [42.25]})
    result = run(demo_call([(15, 1), (3, 0)]), CONTEXT, engine)
    assert answer(result) == [("output", [(175, 2)], [1])]
    assert engine.model_runs == 1
    (record,) = engine.records.values()
    assert record.mocked is False
    assert record.settlement == "not required"


def test_removing_a_mock_runs_the_model_again(engine: InferenceEngine) -> None:
    first = engine.mock_output("upstream_demo", {"input": [1, 2]}, {"output": [7]})
    second = engine.mock_output("upstream_demo", {"input": [1.0, 2.0]}, {"output": [8]})
    assert first == second  # the same (model, input) pair: mocks stack
    call = demo_call([(1, 0), (2, 0)])
    assert answer(run(call, CONTEXT, engine)) == [("output", [(8, 0)], [1])]
    assert engine.unmock(second) is True
    assert answer(run(call, CONTEXT, engine)) == [("output", [(7, 0)], [1])]
    assert engine.unmock(first) is True
    assert engine.unmock(first) is False
    assert answer(run(call, CONTEXT, engine)) == [("output", [(125, 2)], [1])]
    assert engine.model_runs == 1
    # the real result was cached, the mocked ones never were
    engine.mock_output("upstream_demo", {"input": [1, 2]}, {"output": [9]})
    assert engine.clear_mocks() == 1
    assert answer(run(call, CONTEXT, engine)) == [("output", [(125, 2)], [1])]
    assert engine.model_runs == 1


def test_tee_and_zk_mocks_are_never_signed_or_proved(engine: InferenceEngine) -> None:
    for mode in (ModelInferenceMode.TEE, ModelInferenceMode.ZK):
        engine.mock_output("upstream_demo", {"input": [1, int(mode)]}, {"output": [0.5]})
        context = CallContext(b"\x01" * 20, b"\x02" * 20, 3 + int(mode), 0, 10**7)
        assert answer(run(demo_call([(1, 0), (int(mode), 0)], int(mode)), context, engine)) == [
            ("output", [(5, 1)], [1])
        ]
    records = sorted(engine.records.values(), key=lambda r: r.mode)
    assert [(r.mode, r.mocked, r.settlement, r.tee_signature) for r in records] == [
        (ModelInferenceMode.ZK, True, "mocked", None),
        (ModelInferenceMode.TEE, True, "mocked", None),
    ]
    assert engine.unsettled == {}
    assert engine._prover_queue is None  # nothing was queued for proving
    assert engine._enclave is None  # nothing was signed
    assert engine.wait_for_settlement(records[0].inference_id, 0).settlement == "mocked"


def test_string_inputs_and_the_model_shapes(engine: InferenceEngine) -> None:
    engine.mock_output("sentiment", {"text": ["to", "the", "moon"]}, {"score": -1.25})
    result = run(sentiment_call(["to", "the", "moon"]), CONTEXT, engine)
    assert answer(result) == [("score", [(-125, 2)], [1])]
    result = run(sentiment_call(["to", "the", "sun"]), CONTEXT, engine)
    assert not result.reverted and engine.model_runs == 1
    # a flat list fits a static [1, 4] input; outputs can be left out
    engine.mock_output("credit_risk", {"features": [1, 2, 3, 4]}, {"label": ["low"]})
    spec = engine.resolve("credit_risk")
    feeds = {"features": np.array([[1, 2, 3, 4]], dtype=np.float32)}
    outputs = engine.infer(spec, 0, feeds, "x", CONTEXT)
    assert [(n, a.tolist()) for n, a in outputs] == [("label", ["low"])]


@pytest.mark.parametrize(
    ("model", "inputs", "outputs", "message"),
    [
        ("upstream_demo", {"x": [1, 2]}, {"output": [1]}, "unexpected input 'x'; model inputs"),
        ("upstream_demo", {}, {"output": [1]}, "input 'input' missing; model inputs are"),
        ("upstream_demo", {"input": [1, 2, 3]}, {"output": [1]}, "input 'input' has shape [3]"),
        ("upstream_demo", {"input": [1, 2]}, {"y": [1]}, "unexpected output 'y'; model outputs"),
        ("upstream_demo", {"input": [1, 2]}, {}, "no outputs given; model outputs are"),
        ("upstream_demo", {"input": ["a", 2]}, {"output": [1]}, "input 'input': "),
        (
            "upstream_demo",
            {"input": [1, 2]},
            {"output": [1e40]},
            "output 'output': 1e+40 does not fit int128",
        ),
        ("sentiment", {"text": [1]}, {"score": [1]}, "input 'text' is a string tensor"),
    ],
)
def test_mocks_that_do_not_fit_the_model(engine, model, inputs, outputs, message) -> None:
    with pytest.raises(MockError) as exc:
        engine.mock_output(model, inputs, outputs)
    assert str(exc.value).startswith(message), str(exc.value)
    assert len(engine.mocks) == 0


def test_mocking_an_unknown_model(engine: InferenceEngine) -> None:
    with pytest.raises(ModelNotFound):
        engine.mock_output("no-such-model", {"input": [1, 2]}, {"output": [1]})
