"""`ogkit models` and the store: the store is found from any folder of the project (an explicit
--store or OGKIT_MODEL_STORE wins; outside a project it is here and says so), and `list`,
`remove` (an LLM with its parts, never a part alone) and `verify` (damage found, `add`
repairs it): through click's CliRunner, in temporary projects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_models_support import ogkit, onnx_bytes, relu_graph, scale_graph, store_of

from og_examples.install import install_tiny_llm
from og_examples.llm.tiny import NAME as TINY_LLM
from ogkit.llm.bundle import read_bundle
from ogkit.models.cid import cid_for
from ogkit.models.store import ModelStore

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
