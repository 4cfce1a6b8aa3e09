"""What a contract sees when the model id is mistyped or the store's alias file is broken:
a readable revert from 0xF4, never an internal error."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from eth_abi import decode
from onnx import TensorProto, helper

from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from precompiles import gas
from precompiles.host import CallContext
from precompiles.inference.model_codec import encode_model_inference_request
from precompiles.inference.precompile import RUN_MODEL_INFERENCE, run
from precompiles.inference.types import ModelInferenceRequest, ModelInput, NumberTensor

SENDER = bytes.fromhex("11" * 20)
ERROR_SELECTOR = bytes.fromhex("08c379a0")


def relu_model() -> bytes:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def call(model_id: str) -> bytes:
    tensor = NumberTensor("x", ((1, 0), (-1, 0)), (2,))
    request = ModelInferenceRequest(0, model_id, ModelInput((tensor,)))
    return RUN_MODEL_INFERENCE + encode_model_inference_request(request)


def revert_reason(engine: InferenceEngine, model_id: str) -> str:
    context = CallContext(SENDER, SENDER, 1, 1_700_000_000, 1_000_000)
    result = run(call(model_id), context, engine)
    assert result.reverted and result.output[:4] == ERROR_SELECTOR
    assert result.gas_used >= gas.BASE
    (reason,) = decode(["string"], result.output[4:])
    assert reason == result.reason
    return reason


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    store = ModelStore(tmp_path / "store")
    store.add(relu_model(), "my-model")
    return store


def test_mistyped_model_id_names_the_closest(store: ModelStore) -> None:
    engine = InferenceEngine(store)
    assert revert_reason(engine, "my-modle") == (
        "OGInference: model not found: my-modle (did you mean 'my-model'?)"
    )
    assert revert_reason(engine, "no-such-thing") == "OGInference: model not found: no-such-thing"
    assert not run(call("my-model"), CallContext(SENDER, SENDER, 1, 0, 1_000_000), engine).reverted


def test_corrupt_alias_file_is_a_readable_revert(store: ModelStore) -> None:
    engine = InferenceEngine(store)
    store.alias_file.write_text("{not json")
    assert revert_reason(engine, "my-model") == (
        f"OGInference: cannot load model my-model: {store.alias_file} is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
        "fix it, or delete it to drop every alias"
    )
