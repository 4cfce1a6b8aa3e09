"""`ogkit models show|remove|verify`, the checks `add` makes, the store found from the project,
and every bad input as one line on stderr: through click's CliRunner, in temporary projects."""

from __future__ import annotations

import re
from pathlib import Path

import onnx
import pytest
from click.testing import CliRunner, Result
from onnx import TensorProto, helper

from og_examples.install import install_tiny_llm
from og_examples.llm.tiny import NAME as TINY_LLM
from ogkit.cli import main
from ogkit.llm.bundle import read_bundle
from ogkit.models.cid import cid_for
from ogkit.models.store import ModelStore
from precompiles import gas
from precompiles.inference.model_codec import encode_model_inference_event
from precompiles.inference.types import ModelInferenceRequest, ModelInput, ModelOutput, NumberTensor


def onnx_bytes(graph: onnx.GraphProto, opset: int = 17) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


def relu_graph() -> onnx.GraphProto:
    """x float [batch, 3] -> y float [batch, 3]: a dynamic dim with a name."""
    return helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
    )


def scale_graph() -> onnx.GraphProto:
    """features float [1, 4] and a dim-less count int64 [?] -> score float [1] (Mul, ReduceSum)."""
    return helper.make_graph(
        [
            helper.make_node("Mul", ["features", "w"], ["weighted"]),
            helper.make_node("ReduceSum", ["weighted"], ["score"], keepdims=0),
            helper.make_node("Identity", ["count"], ["count_out"]),
        ],
        "scale",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("count", TensorProto.INT64, [None]),
        ],
        [
            helper.make_tensor_value_info("score", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("count_out", TensorProto.INT64, [None]),
        ],
        [helper.make_tensor("w", TensorProto.FLOAT, [1, 4], [1.0, 2.0, 3.0, 4.0])],
    )


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


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+: stderr is always apart
        return CliRunner()


def ogkit(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run in the current directory with no OGKIT_MODEL_STORE: the store is the project's."""
    return runner().invoke(
        main, ["models", *args], env={"OGKIT_MODEL_STORE": None, "COLUMNS": "200", **(env or {})}
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a model file in it; the test runs in a sub-folder."""
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    (root / "ape-config.yaml").write_text("name: proj\n")
    (root / "relu.onnx").write_bytes(onnx_bytes(relu_graph()))
    monkeypatch.chdir(root / "scripts")
    return root


def store_of(project: Path) -> ModelStore:
    return ModelStore(project / ".ogkit" / "models")


# --- the store belongs to the project -------------------------------------------------------------


def test_models_work_from_any_folder_of_the_project(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relu = project / "relu.onnx"
    cid = cid_for(relu.read_bytes())
    added = ogkit("add", "../relu.onnx", "--alias", "relu")
    assert (added.exit_code, added.stdout, added.stderr) == (0, f"{cid}\n", "")
    assert store_of(project).aliases() == {"relu": cid}
    (project / "contracts").mkdir()
    monkeypatch.chdir(project / "contracts")
    listed = ogkit("list")
    assert listed.stdout == f"CID\tsize\taliases\n{cid}\t{relu.stat().st_size}\trelu\n"


def test_explicit_store_and_environment_win(project: Path, tmp_path: Path) -> None:
    explicit = tmp_path / "explicit"
    from_env = tmp_path / "from-env"
    assert ogkit("add", "../relu.onnx", "--store", str(explicit)).exit_code == 0
    assert ogkit("add", "../relu.onnx", env={"OGKIT_MODEL_STORE": str(from_env)}).exit_code == 0
    cid = cid_for((project / "relu.onnx").read_bytes())
    assert [m.cid for m in ModelStore(explicit).list()] == [cid]
    assert [m.cid for m in ModelStore(from_env).list()] == [cid]
    assert not (project / ".ogkit").exists()


def test_outside_any_project_the_store_is_here_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "relu.onnx").write_bytes(onnx_bytes(relu_graph()))
    note = (
        f"No Ape project here (no ape-config.yaml in {tmp_path} or above): "
        f"using the model store in {tmp_path / '.ogkit' / 'models'}\n"
    )
    added = ogkit("add", "relu.onnx")
    assert (added.exit_code, added.stderr) == (0, note)
    listed = ogkit("list")
    cid = cid_for((tmp_path / "relu.onnx").read_bytes())
    size = (tmp_path / "relu.onnx").stat().st_size
    assert (listed.exit_code, listed.stderr) == (0, note)
    assert listed.stdout == f"CID\tsize\taliases\n{cid}\t{size}\t-\n"


# --- list -----------------------------------------------------------------------------------------


def test_list_in_a_terminal_has_a_header_and_dashes(project: Path) -> None:
    cid = ogkit("add", "../relu.onnx").stdout.strip()
    result = ogkit("list", env={"TTY_COMPATIBLE": "1", "COLUMNS": "100"})
    assert result.exit_code == 0
    lines = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()  # no bold
    assert lines[1].split() == ["┃", "CID", "┃", "size", "┃", "aliases", "┃"]
    size = (project / "relu.onnx").stat().st_size
    assert lines[3].split() == ["│", cid, "│", f"{size:,}", "B", "│", "-", "│"]
    assert lines[-1].strip() == f"model store: {project / '.ogkit' / 'models'}"


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


# --- remove ---------------------------------------------------------------------------------------


def test_remove(project: Path) -> None:
    cid = ogkit("add", "../relu.onnx", "--alias", "relu", "--alias", "r2").stdout.strip()
    result = ogkit("remove", "r2")
    assert (result.exit_code, result.stdout) == (0, f"Removed {cid} and its aliases r2, relu.\n")
    store = store_of(project)
    assert store.list() == [] and store.aliases() == {}
    ogkit("add", "../relu.onnx")
    assert ogkit("remove", cid).stdout == f"Removed {cid}.\n"


def test_remove_an_llm_and_not_its_parts_alone(project: Path) -> None:
    store = store_of(project)
    cid = install_tiny_llm(store)
    bundle = read_bundle(store, cid)
    relu = ogkit("add", "../relu.onnx").stdout.strip()
    part = ogkit("remove", bundle.model)
    assert (part.exit_code, part.stdout) == (1, "")
    assert part.stderr == (
        f"Error: {bundle.model} is a part of the LLM {TINY_LLM} ({cid}); remove the LLM instead\n"
    )
    result = ogkit("remove", TINY_LLM)
    assert (result.exit_code, result.stdout) == (
        0,
        f"Removed {cid} and its aliases {TINY_LLM}.\n"
        f"Removed {bundle.model}.\n"
        f"Removed {bundle.tokenizer}.\n",
    )
    assert [m.cid for m in store.list()] == [relu]


# --- verify ---------------------------------------------------------------------------------------


def test_verify_and_repair(project: Path) -> None:
    (project / "scale.onnx").write_bytes(onnx_bytes(scale_graph()))
    relu = ogkit("add", "../relu.onnx", "--alias", "relu").stdout.strip()
    scale = ogkit("add", "../scale.onnx").stdout.strip()
    store_root = project / ".ogkit" / "models"
    ok = ogkit("verify")
    assert (ok.exit_code, ok.stdout) == (
        0,
        f"All 2 stored models match their CID ({store_root}).\n",
    )

    for cid in (relu, scale):
        blob = store_root / "blobs" / cid
        blob.write_bytes(blob.read_bytes()[:-1] + b"\x00")
    bad = ogkit("verify")
    assert bad.exit_code == 1
    assert bad.stdout == "".join(
        f"DAMAGED  {cid}  ({aliases})\n" for cid, aliases in sorted([(relu, "relu"), (scale, "-")])
    )
    assert bad.stderr == (
        "Error: 2 of 2 stored models damaged (bytes not matching the CID); add the original "
        "file again (`ogkit models add FILE`) or `ogkit models remove ID`\n"
    )

    repaired = ogkit("add", "../relu.onnx")
    assert (repaired.exit_code, repaired.stdout) == (0, f"{relu}\n")
    assert repaired.stderr == f"Repaired the stored copy of {relu}: its bytes no longer matched.\n"
    assert (store_root / "blobs" / relu).read_bytes() == (project / "relu.onnx").read_bytes()
    assert ogkit("verify").stdout == f"DAMAGED  {scale}  (-)\n"


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
