"""`ogkit init` and `ogkit toolchain`: what they write, what they refuse, their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ogkit import scaffold, toolchain
from ogkit.cli import main

FILES = [
    ".gitignore",
    "ape-config.yaml",
    "contracts/Forecaster.sol",
    "foundry.toml",
    "remappings.txt",
    "scripts/build_model.py",
    "scripts/deploy.py",
    "tests/conftest.py",
    "tests/test_forecaster.py",
]
FORECASTER_CID = "bafkreiagz5jnpnwqxczgyikyr2yxb4eo4z6o5uiias44xjzrnchg4yievy"


def test_create_writes_the_project(tmp_path: Path):
    plan = scaffold.create(tmp_path / "My App")
    assert sorted(plan.written) == FILES
    assert (tmp_path / "My App" / "ape-config.yaml").read_text().startswith("name: my-app\n")
    assert (
        "opengradient-neuroml/src/=contracts/.cache/opengradient-neuroml/src/"
        in (tmp_path / "My App" / "remappings.txt").read_text()
    )


def test_a_second_run_changes_nothing(tmp_path: Path):
    scaffold.create(tmp_path)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    plan = scaffold.create(tmp_path)
    assert (plan.written, sorted(plan.unchanged), plan.conflicts) == ([], FILES, [])
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_existing_files_are_never_overwritten_without_force(tmp_path: Path):
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "Forecaster.sol").write_text("// mine\n")
    with pytest.raises(scaffold.ScaffoldError) as error:
        scaffold.create(tmp_path)
    assert str(error.value) == (
        f"would overwrite contracts/Forecaster.sol in {tmp_path}: keep them and pick another "
        "DIR, or pass --force to replace them"
    )
    assert (tmp_path / "contracts" / "Forecaster.sol").read_text() == "// mine\n"
    assert not (tmp_path / "ape-config.yaml").exists()  # nothing written at all

    plan = scaffold.create(tmp_path, force=True)
    assert sorted(plan.written) == FILES
    assert "contract Forecaster" in (tmp_path / "contracts" / "Forecaster.sol").read_text()


def test_a_file_is_not_a_project_folder(tmp_path: Path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(scaffold.ScaffoldError, match="is a file, not a folder"):
        scaffold.create(tmp_path / "taken")


def test_the_model_is_built_from_generated_data_the_same_everywhere(tmp_path: Path):
    scaffold.create(tmp_path)
    assert scaffold.build_model(tmp_path) == FORECASTER_CID
    aliases = (tmp_path / ".ogkit" / "models" / "aliases.json").read_text()
    assert f'"forecaster": "{FORECASTER_CID}"' in aliases


def test_init_command(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(tmp_path / "app"), "--no-toolchain"])
    assert result.exit_code == 0, result.output
    wrote = [line.split()[-1] for line in result.output.splitlines() if "wrote" in line]
    assert sorted(wrote) == FILES
    assert f"  model      forecaster -> {FORECASTER_CID}" in result.output
    assert result.output.rstrip().endswith(
        "ape test   (or: ape test --network opengradient:local:node)"
    )

    (tmp_path / "app" / "tests" / "test_forecaster.py").write_text("# changed\n")
    again = runner.invoke(main, ["init", str(tmp_path / "app"), "--no-toolchain"])
    assert again.exit_code == 1
    assert again.output.splitlines() == [
        f"Error: would overwrite tests/test_forecaster.py in {tmp_path / 'app'}: keep them and "
        "pick another DIR, or pass --force to replace them"
    ]


def test_missing_compiler_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OGKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SOLCX_BINARY_PATH", raising=False)
    monkeypatch.setattr(toolchain, "_repo_solcx", lambda: tmp_path / "repo-solcx")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(toolchain.ToolchainError, match=r"run `ogkit toolchain install`$"):
        toolchain.solc_binary()
    result = CliRunner().invoke(main, ["toolchain", "show"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: solc 0.8.28 is not installed (looked in ")


def test_install_without_node_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OGKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no npm
    result = CliRunner().invoke(main, ["toolchain", "install"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: node and npm are needed to run the Solidity compiler (npm package `solc`): "
        "install Node.js 18 or later, then run `ogkit toolchain install` again\n"
    )
