"""The inference engine (the precompile's backend): specs, cached sessions, the result cache,
records, and corrupted or broken model files, with the real example models."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from eth_abi import encode
from store_support import store_with

from og_examples.models import EXAMPLES, sample_input
from ogkit.inference.cache import ResultCache, input_key
from ogkit.inference.engine import InferenceEngine, default_engine
from ogkit.inference.prover_queue import no_setup_status
from ogkit.models.store import ModelStore
from precompiles.host import CallContext, ModelExecutionError, ModelNotFound, TensorSpec
from precompiles.inference.precompile import run
from precompiles.inference.types import ModelInferenceMode

CONTEXT = CallContext(b"\x01" * 20, b"\x02" * 20, 3, 0, 10**7)
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
SELECTOR = bytes.fromhex("7289e9c2")


def demo_call(model_id: str) -> bytes:
    return SELECTOR + encode(
        [REQUEST_TYPE], [(0, model_id, ([("input", [[1, 0], [2, 0]], [2])], []))]
    )


@pytest.fixture
def store(tmp_path: Path, example_files: dict[str, Path]) -> ModelStore:
    return store_with(tmp_path / "store", example_files)


@pytest.fixture
def engine(store: ModelStore) -> InferenceEngine:
    return InferenceEngine(store)


def direct(path: Path, feeds: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return list(zip(names, session.run(names, feeds), strict=True))


def same_outputs(a: list[tuple[str, np.ndarray]], b: list[tuple[str, np.ndarray]]) -> bool:
    return [n for n, _ in a] == [n for n, _ in b] and all(
        x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
        for (_, x), (_, y) in zip(a, b, strict=True)
    )


# --- specs and sessions ---------------------------------------------------------------------------


def test_specs(engine: InferenceEngine, example_files: dict[str, Path]) -> None:
    expected = {
        "volatility": (
            (TensorSpec("open_high_low_close", "tensor(float)", (10, 4)),),
            (TensorSpec("volatility", "tensor(float)", (1,)),),
        ),
        "credit_risk": (
            (TensorSpec("features", "tensor(float)", (1, 4)),),
            (
                TensorSpec("probabilities", "tensor(float)", (1, 3)),
                TensorSpec("label", "tensor(string)", (1,)),
            ),
        ),
        "sentiment": (
            (TensorSpec("text", "tensor(string)", (None,)),),
            (TensorSpec("score", "tensor(float)", (1,)),),
        ),
        "upstream_demo": (
            (TensorSpec("input", "tensor(float)", (2,)),),
            (TensorSpec("output", "tensor(float)", (1,)),),
        ),
    }
    for name, (inputs, outputs) in expected.items():
        spec = engine.resolve(name)
        data = example_files[name].read_bytes()
        assert spec.model_hash == hashlib.sha256(data).digest()
        assert spec.size_bytes == len(data)
        assert (spec.inputs, spec.outputs) == (inputs, outputs)


def test_sessions_are_cached(engine: InferenceEngine, store: ModelStore) -> None:
    cid = store.resolve("volatility").cid
    first = engine.resolve("volatility")
    assert engine.resolve("volatility") is first  # the same loaded model, not a new session
    assert engine.resolve(cid) is first  # by CID or by alias
    model = engine._by_cid[cid]
    assert model.spec is first and engine._by_hash[first.model_hash] is model
    # once loaded, later resolves do not read the file again
    (store.root / "blobs" / cid).write_bytes(b"changed on disk")
    assert engine.resolve("volatility") is first


def test_unknown_model(engine: InferenceEngine) -> None:
    for model_id in ("nope", "../aliases.json"):
        with pytest.raises(ModelNotFound):
            engine.resolve(model_id)


# --- corruption and broken files ------------------------------------------------------------------


def test_corrupted_blob(engine: InferenceEngine, store: ModelStore) -> None:
    cid = store.resolve("upstream_demo").cid
    blob = store.root / "blobs" / cid
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x00")  # one byte off
    message = f"stored model {cid} does not match its hash"
    with pytest.raises(ModelExecutionError) as exc:
        engine.resolve("upstream_demo")
    assert str(exc.value) == message
    result = run(demo_call("upstream_demo"), CONTEXT, InferenceEngine(store))
    assert result.reverted
    assert result.reason == f"OGInference: cannot load model upstream_demo: {message}"
    assert engine.model_runs == 0


def test_not_an_onnx_file(engine: InferenceEngine, store: ModelStore) -> None:
    store.add(b"not an onnx model", "junk")
    ort_message = (
        "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Failed to load model because protobuf "
        "parsing failed."
    )
    with pytest.raises(ModelExecutionError) as exc:
        engine.resolve("junk")
    assert str(exc.value) == f"cannot load model: {ort_message}"
    result = run(demo_call("junk"), CONTEXT, engine)
    assert result.reason == f"OGInference: cannot load model junk: cannot load model: {ort_message}"


# --- result cache ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_outputs_match_onnxruntime(
    engine: InferenceEngine, example_files: dict[str, Path], name: str
) -> None:
    spec = engine.resolve(name)
    outputs = engine.infer(spec, 0, sample_input(name), "id", CONTEXT)
    assert same_outputs(outputs, direct(example_files[name], sample_input(name)))


def test_replayed_input_does_not_run_again(engine: InferenceEngine) -> None:
    spec = engine.resolve("credit_risk")
    feeds = sample_input("credit_risk")
    first = engine.infer(spec, 0, feeds, "a", CONTEXT)
    assert engine.model_runs == 1
    # a replay: same model and input bytes (other id, mode and call context do not matter)
    again = engine.infer(spec, 1, {"features": feeds["features"].copy()}, "b", CONTEXT)
    assert engine.model_runs == 1
    assert same_outputs(first, again)
    # a different input runs the model
    other = {"features": np.array([[2.9, 0.1, 0.1, 9.0]], dtype=np.float32)}
    engine.infer(spec, 0, other, "c", CONTEXT)
    assert engine.model_runs == 2
    engine.infer(spec, 0, other, "d", CONTEXT)
    assert engine.model_runs == 2


def test_replay_through_the_precompile(engine: InferenceEngine) -> None:
    data = demo_call("upstream_demo")
    first = run(data, CONTEXT, engine)
    later = run(data, CallContext(b"\x09" * 20, b"\x09" * 20, 50, 0, 10**7), engine)
    assert engine.model_runs == 1
    assert first.output == later.output and not first.reverted


def test_cached_outputs_cannot_be_mutated(engine: InferenceEngine) -> None:
    spec = engine.resolve("upstream_demo")
    feeds = sample_input("upstream_demo")
    ((name, array),) = engine.infer(spec, 0, feeds, "a", CONTEXT)
    expected = array.copy()
    array[:] = 123.0
    ((_, again),) = engine.infer(spec, 0, feeds, "b", CONTEXT)
    assert np.array_equal(again, expected) and engine.model_runs == 1


def test_input_key_tells_shape_dtype_and_strings_apart() -> None:
    h = b"\x00" * 32
    flat = np.arange(4, dtype=np.float32)
    keys = {
        input_key(h, {"x": flat}),
        input_key(h, {"x": flat.reshape(2, 2)}),
        input_key(h, {"x": flat.view(np.int32)}),
        input_key(h, {"y": flat}),
        input_key(b"\x01" * 32, {"x": flat}),
        input_key(h, {"s": np.array(["ab", "c"], dtype=object)}),
        input_key(h, {"s": np.array(["a", "bc"], dtype=object)}),
        input_key(h, {"s": np.array(["abc"], dtype=object)}),
    }
    assert len(keys) == 8
    assert input_key(h, {"x": flat, "y": flat}) == input_key(h, {"y": flat, "x": flat})


def test_result_cache_is_a_bounded_lru() -> None:
    cache = ResultCache(max_entries=2)
    out = [("y", np.array([1.0]))]
    cache.put(b"a", out)
    cache.put(b"b", out)
    assert cache.get(b"a") is not None  # a is now the most recent
    cache.put(b"c", out)
    assert (cache.get(b"a") is not None, cache.get(b"b"), cache.get(b"c") is not None) == (
        True,
        None,
        True,
    )
    assert len(cache) == 2


# --- records and the shared engine ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "settlement"),
    [
        (ModelInferenceMode.VANILLA, "not required"),
        (ModelInferenceMode.ZK, None),  # handed to the prover queue: see below
        (ModelInferenceMode.TEE, "pending"),
    ],
)
def test_records(engine: InferenceEngine, mode: ModelInferenceMode, settlement: str | None) -> None:
    data = SELECTOR + encode(
        [REQUEST_TYPE], [(int(mode), "upstream_demo", ([("input", [[1, 0], [2, 0]], [2])], []))]
    )
    assert not run(data, CONTEXT, engine).reverted
    (record,) = engine.records.values()
    if mode is ModelInferenceMode.ZK:  # proving fails at once: this store has no ZK setup
        assert engine.prover_queue.wait(record.inference_id, timeout=30) is record
        settlement = no_setup_status(engine.store.resolve("upstream_demo").cid)
    assert (record.mode, record.settlement, record.block_number) == (mode, settlement, 3)
    assert record.model_hash == engine.resolve("upstream_demo").model_hash


def test_default_engine_is_shared_per_store(tmp_path: Path) -> None:
    a = default_engine(tmp_path / "one")
    assert default_engine(tmp_path / "one") is a
    assert default_engine(str(tmp_path / "one")) is a
    assert default_engine(tmp_path / "two") is not a
