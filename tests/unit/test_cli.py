"""`ogkit models …` through click's CliRunner, against a store in a temp dir."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from og_examples.install import install_tiny_llm
from og_examples.llm.tiny import NAME as TINY_LLM
from og_examples.models import EXAMPLES, UPSTREAM_DEMO_ALIAS
from ogkit.cli import main
from ogkit.llm.bundle import read_bundle
from ogkit.models.store import ModelStore


def cid_of(data: bytes) -> str:
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[list[str]]]:
    """The tiny LLM's bundle CID, and its `list` rows (manifest, ONNX file, tokenizer)."""
    store = ModelStore(tmp_path_factory.mktemp("llm-store"))
    cid = install_tiny_llm(store)
    bundle = read_bundle(store, cid)
    rows = [
        [part, str(store.resolve(part).size_bytes), TINY_LLM if part == cid else "-"]
        for part in (cid, bundle.model, bundle.tokenizer)
    ]
    return cid, rows


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


def ogkit(store_dir: Path, *args: str, columns: int = 200) -> Result:
    return CliRunner().invoke(
        main, ["models", *args, "--store", str(store_dir)], env={"COLUMNS": str(columns)}
    )


def test_add_prints_the_cid(store_dir: Path, example_files: dict[str, Path]) -> None:
    path = example_files["volatility"]
    result = ogkit(store_dir, "add", str(path), "--alias", "vol", "--alias", "Qm" + "x" * 44)
    assert result.exit_code == 0, result.output
    cid = cid_of(path.read_bytes())
    assert result.output == f"{cid}\n"
    store = ModelStore(store_dir)
    assert store.aliases() == {"vol": cid, "Qm" + "x" * 44: cid}
    assert (store_dir / "blobs" / cid).read_bytes() == path.read_bytes()
    again = ogkit(store_dir, "add", str(path))  # idempotent
    assert (again.exit_code, again.output) == (0, f"{cid}\n")
    assert [m.cid for m in store.list()] == [cid]


def test_add_missing_file(store_dir: Path, tmp_path: Path) -> None:
    result = ogkit(store_dir, "add", str(tmp_path / "missing.onnx"))
    assert result.exit_code == 2
    assert f"File '{tmp_path / 'missing.onnx'}' does not exist" in result.output


def test_store_from_environment(tmp_path: Path, example_files: dict[str, Path]) -> None:
    store_dir = tmp_path / "env-store"
    result = CliRunner().invoke(
        main,
        ["models", "add", str(example_files["sentiment"])],
        env={"OGKIT_MODEL_STORE": str(store_dir)},
    )
    assert result.exit_code == 0
    assert (
        ModelStore(store_dir).resolve(result.output.strip()).size_bytes
        == example_files["sentiment"].stat().st_size
    )


def test_alias(store_dir: Path, example_files: dict[str, Path]) -> None:
    demo = str(example_files["upstream_demo"])
    cid = ogkit(store_dir, "add", demo, "--alias", "demo").output.strip()
    result = ogkit(store_dir, "alias", UPSTREAM_DEMO_ALIAS, cid)
    assert (result.exit_code, result.output) == (0, f"{UPSTREAM_DEMO_ALIAS} -> {cid}\n")
    result = ogkit(store_dir, "alias", "another", "demo")  # by an existing alias
    assert (result.exit_code, result.output) == (0, f"another -> {cid}\n")
    assert ModelStore(store_dir).aliases() == {
        "demo": cid,
        UPSTREAM_DEMO_ALIAS: cid,
        "another": cid,
    }


def test_alias_unknown_model(store_dir: Path, example_files: dict[str, Path]) -> None:
    ogkit(store_dir, "add", str(example_files["upstream_demo"]))
    for unknown in ("nope", "../aliases.json", cid_of(b"never stored")):
        result = ogkit(store_dir, "alias", "name", unknown)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: model not found: {unknown}; `ogkit models list` shows what {store_dir} holds\n"
        )
    assert ModelStore(store_dir).aliases() == {}


def test_build_examples_is_idempotent(
    store_dir: Path, example_files: dict[str, Path], tiny_llm: tuple[str, list[list[str]]]
) -> None:
    cids = {name: cid_of(path.read_bytes()) for name, path in example_files.items()}
    labels = {name: name for name in EXAMPLES}
    labels["upstream_demo"] = f"upstream_demo, {UPSTREAM_DEMO_ALIAS}"
    expected = "".join(f"{labels[name]:14} {cids[name]}\n" for name in EXAMPLES)
    expected += f"{TINY_LLM:14} {tiny_llm[0]}\n"
    first = ogkit(store_dir, "build-examples")
    assert (first.exit_code, first.output) == (0, expected)
    second = ogkit(store_dir, "build-examples")
    assert (second.exit_code, second.output) == (0, expected)
    store = ModelStore(store_dir)
    llm_parts = [row[0] for row in tiny_llm[1]]
    assert sorted(m.cid for m in store.list()) == sorted([*cids.values(), *llm_parts])
    assert store.aliases() == {
        **cids,
        UPSTREAM_DEMO_ALIAS: cids["upstream_demo"],
        TINY_LLM: tiny_llm[0],
    }


def test_list(
    store_dir: Path, example_files: dict[str, Path], tiny_llm: tuple[str, list[list[str]]]
) -> None:
    assert ogkit(store_dir, "build-examples").exit_code == 0
    result = ogkit(store_dir, "list")
    assert result.exit_code == 0
    header, *lines = result.output.splitlines()
    assert header == "CID\tsize\taliases"
    rows = sorted(line.split("\t") for line in lines)
    expected = sorted(
        [
            cid_of(path.read_bytes()),
            str(path.stat().st_size),
            f"{UPSTREAM_DEMO_ALIAS}, upstream_demo" if name == "upstream_demo" else name,
        ]
        for name, path in example_files.items()
    )
    assert rows == sorted(expected + tiny_llm[1])


def test_list_empty_store(store_dir: Path) -> None:
    result = ogkit(store_dir, "list")
    assert (result.exit_code, result.output) == (0, "CID\tsize\taliases\n")


def test_list_shows_whole_cids_on_a_narrow_terminal(
    store_dir: Path, example_files: dict[str, Path]
) -> None:
    ogkit(store_dir, "build-examples")
    result = ogkit(store_dir, "list", columns=80)
    for path in example_files.values():
        assert cid_of(path.read_bytes()) in result.output
