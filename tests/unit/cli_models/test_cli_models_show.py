"""`ogkit models show`: a model's tensors with dynamic and unnamed dims, the gas of a typical
call (or why it is n/a), an LLM's parts and price, and a stored blob that is no model:
through click's CliRunner, in temporary projects."""

from __future__ import annotations

from pathlib import Path

from cli_models_support import ogkit, onnx_bytes, scale_graph, store_of
from onnx import TensorProto, helper

from og_examples.install import install_tiny_llm
from og_examples.llm.tiny import NAME as TINY_LLM
from ogkit.llm.bundle import read_bundle
from precompiles import gas
from precompiles.inference.model_codec import encode_model_inference_event
from precompiles.inference.types import ModelInferenceRequest, ModelInput, ModelOutput, NumberTensor

# --- show -----------------------------------------------------------------------------------------


RELU_COMPUTE_GAS = 4
"""Relu on [1, 3] floats: 0 multiply-adds, 24 bytes moved, 1 node -> 0 + 1 + 0 + 3 * 1."""


def expected_gas(size: int, inputs: int, outputs: ModelOutput, request: ModelInferenceRequest):
    """The formula of precompiles/gas.py for one call, with its ModelInferenceEvent."""
    event = encode_model_inference_event("0" * 64, request, outputs)
    return (
        gas.BASE
        + gas.PER_INPUT_ELEMENT * inputs
        + gas.PER_MODEL_KIB * -(-size // 1024)
        + RELU_COMPUTE_GAS
        + gas.PER_OUTPUT_ELEMENT * sum(len(t.values) for t in outputs.numbers)
        + gas.LOG_BASE
        + gas.LOG_TOPIC
        + gas.LOG_DATA_BYTE * len(event)
    )


def test_show_names_dynamic_dims_and_prices_a_call(project: Path) -> None:
    size = (project / "relu.onnx").stat().st_size
    cid = ogkit("add", "../relu.onnx", "--alias", "relu", "--alias", "r2").stdout.strip()
    request = ModelInferenceRequest(
        0, "relu", ModelInput((NumberTensor("x", ((1, 0),) * 3, (1, 3)),))
    )
    output = ModelOutput((NumberTensor("y", ((1, 0),) * 3, (1, 3)),))
    price = expected_gas(size, 3, output, request)
    assert price == 39_888
    result = ogkit("show", "relu")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"cid      {cid}\n"
        f"size     {size} B\n"
        "aliases  r2, relu\n"
        "inputs\n"
        "  x  float   [batch, 3]\n"
        "outputs\n"
        "  y  float   [batch, 3]\n"
        "gas      39,888 (inputs of ones, dynamic dims 1, event included; the 0xF4 call alone)\n"
        "compute  4 gas of it: 0 multiply-adds, 24 bytes moved, peak 0.0 MiB\n"
    )


def test_show_unnamed_dims_integers_and_scalars(project: Path) -> None:
    (project / "scale.onnx").write_bytes(onnx_bytes(scale_graph()))
    cid = ogkit("add", "../scale.onnx").stdout.strip()
    result = ogkit("show", cid)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2:8] == [
        "aliases  -",
        "inputs",
        "  features  float   [1, 4]",
        "  count     int64   [?]",
        "outputs",
        "  score      float   []",
    ]
    assert lines[8] == "  count_out  int64   [?]"
    assert lines[9].startswith("gas      ")


def test_show_a_model_the_typical_input_does_not_run(project: Path) -> None:
    """A model that rejects the typical input still shows its tensors; gas says why it's n/a."""
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])],
        "bad_reshape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor("shape", TensorProto.INT64, [2], [2, 2])],
    )
    (project / "reshape.onnx").write_bytes(onnx_bytes(graph))
    ogkit("add", "../reshape.onnx", "--alias", "reshape")
    result = ogkit("show", "reshape")
    assert result.exit_code == 0
    *_, gas_line, compute_line = result.stdout.splitlines()
    assert compute_line == "compute  4 gas of it: 0 multiply-adds, 36 bytes moved, peak 0.0 MiB"
    assert gas_line.startswith(
        "gas      n/a (a call with inputs of ones reverts: OGInference: model execution failed: "
    )


def test_show_an_llm(project: Path) -> None:
    cid = install_tiny_llm(store_of(project))
    bundle = read_bundle(store_of(project), cid)
    result = ogkit("show", TINY_LLM)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[2:] == [
        f"aliases  {TINY_LLM}",
        "kind     LLM: call it with runLLMCompletion or runLLMChat",
        f"parts    {bundle.model} (ONNX), {bundle.tokenizer} (tokenizer)",
        "context  2,048 tokens",
        "gas      75,000 + 8 per prompt byte + 400 per generated token + weight bytes x token "
        "positions / 80,000 + the event's log",
    ]


def test_show_a_blob_that_is_no_model(project: Path) -> None:
    cid = store_of(project).add(b'{"a": "tokenizer, say"}', "notes")
    result = ogkit("show", "notes")
    assert (result.exit_code, result.stdout) == (
        1,
        f"cid      {cid}\nsize     23 B\naliases  notes\n",
    )
    assert result.stderr == (
        "Error: notes is not a runnable ONNX model: cannot load model: [ONNXRuntimeError] : 7 : "
        "INVALID_PROTOBUF : Failed to load model because protobuf parsing failed.\n"
    )
