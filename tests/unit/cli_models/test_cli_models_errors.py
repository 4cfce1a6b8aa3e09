"""`ogkit models` on bad input, each one line on stderr with no traceback: an unknown model
(with the closest name, or the store's state), a file that is no loadable ONNX model or that
the ONNX checker rejects, a missing file, a corrupt alias file; the checks `add` makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_models_support import ogkit, onnx_bytes
from onnx import TensorProto, helper


def unknown_op_model() -> bytes:
    """Passes onnx's checker (custom domain) but onnxruntime has no such operator."""
    graph = helper.make_graph(
        [helper.make_node("Frobnicate", ["x"], ["y"], domain="example.custom")],
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("example.custom", 1)],
    )
    model.ir_version = 8
    return model.SerializeToString()


# --- bad input: one line each, no traceback -------------------------------------------------------


def test_unknown_model_suggests_the_closest_name(project: Path) -> None:
    ogkit("add", "../relu.onnx", "--alias", "my-model")
    for command in (["show"], ["remove"], ["alias", "x"], ["zk-setup"]):
        result = ogkit(*command, "my-modle")
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == "Error: model not found: my-modle (did you mean 'my-model'?)\n"
    far = ogkit("show", "zzz")
    assert far.stderr == (
        "Error: model not found: zzz; `ogkit models list` shows what "
        f"{project / '.ogkit' / 'models'} holds\n"
    )


def test_unknown_model_in_an_empty_store(project: Path) -> None:
    result = ogkit("show", "my-model")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: model not found: my-model; the store {project / '.ogkit' / 'models'} is "
        "empty: add a model with `ogkit models add FILE`\n"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not an ONNX file (it holds no graph: empty, or another format)"),
        (
            b"PK\x03\x04 a zip, not a model",
            "not an ONNX file (Error parsing message with type 'onnx.ModelProto': Wire format "
            "was corrupt)",
        ),
        (
            unknown_op_model(),
            "onnxruntime cannot load it: Fatal error: example.custom:Frobnicate(-1) is not a "
            "registered function/op",
        ),
    ],
)
def test_add_refuses_a_file_that_is_no_loadable_onnx_model(
    project: Path, content: bytes, reason: str
) -> None:
    (project / "bad.onnx").write_bytes(content)
    result = ogkit("add", "../bad.onnx", "--alias", "bad")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: cannot add ../bad.onnx: {reason}; give an ONNX model file "
        "(an LLM goes in with `ogkit models add-llm`)\n"
    )
    assert not (project / ".ogkit").exists()


def test_add_refuses_what_the_onnx_checker_rejects(project: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "dangling",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])],  # no node makes z
    )
    (project / "dangling.onnx").write_bytes(onnx_bytes(graph))
    result = ogkit("add", "../dangling.onnx")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: cannot add ../dangling.onnx: the ONNX checker refuses it: "
    )
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", [["add"], ["add-llm", "--name", "x", "--tokenizer", "t.json"]])
def test_missing_file(project: Path, command: list[str]) -> None:
    result = ogkit(*command[:1], "missing.onnx", *command[1:])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: File 'missing.onnx' does not exist; give the path of a model file.\n"
    )


def test_corrupt_alias_file_is_one_line(project: Path) -> None:
    ogkit("add", "../relu.onnx", "--alias", "relu")
    alias_file = project / ".ogkit" / "models" / "aliases.json"
    alias_file.write_text('{"relu": ')
    expected = (
        f"Error: {alias_file} is not valid JSON (Expecting value: line 1 column 10 (char 9)); "
        "fix it, or delete it to drop every alias\n"
    )
    for command in (["list"], ["show", "relu"], ["remove", "relu"], ["verify"]):
        result = ogkit(*command)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected), command
