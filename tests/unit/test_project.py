"""The model store follows the Ape project, found upward from the current directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogkit.models.store import ModelStore, default_store_dir
from ogkit.project import find_project_root, store_dir_for


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "contracts" / "deep").mkdir(parents=True)
    (root / "ape-config.yaml").write_text("name: proj\n")
    return root


def test_root_from_any_folder_of_the_project(project: Path) -> None:
    assert find_project_root(project) == project
    assert find_project_root(project / "contracts") == project
    assert find_project_root(project / "contracts" / "deep") == project


def test_nearest_project_wins(project: Path) -> None:
    inner = project / "contracts" / "deep"
    (inner / "ape-config.yaml").write_text("name: inner\n")
    assert find_project_root(inner) == inner
    assert find_project_root(project / "contracts") == project


def test_pyproject_with_a_tool_ape_table(tmp_path: Path) -> None:
    root = tmp_path / "py"
    (root / "src").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.ape]\nname = "py"\n')
    assert find_project_root(root / "src") == root


def test_pyproject_without_ape_is_no_project(tmp_path: Path, project: Path) -> None:
    plain = project / "contracts" / "deep"
    (plain / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert find_project_root(plain) == project  # the search goes on upward
    (plain / "pyproject.toml").write_text("[tool.ape\nbroken")
    assert find_project_root(plain) == project


def test_no_project(tmp_path: Path) -> None:
    assert find_project_root(tmp_path) is None


def test_store_dir_for(project: Path) -> None:
    assert store_dir_for(project) == project / ".ogkit" / "models"


def test_default_store_follows_the_project(
    monkeypatch: pytest.MonkeyPatch, project: Path, tmp_path: Path
) -> None:
    monkeypatch.delenv("OGKIT_MODEL_STORE")
    monkeypatch.chdir(project / "contracts" / "deep")
    assert default_store_dir() == project / ".ogkit" / "models"
    assert ModelStore().root == project / ".ogkit" / "models"
    monkeypatch.setenv("OGKIT_MODEL_STORE", str(tmp_path / "env-store"))
    assert default_store_dir() == tmp_path / "env-store"  # the environment still wins
    monkeypatch.delenv("OGKIT_MODEL_STORE")
    monkeypatch.chdir(tmp_path)  # outside any project: the current directory's store
    assert default_store_dir() == tmp_path / ".ogkit" / "models"
