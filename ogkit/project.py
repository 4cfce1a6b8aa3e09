"""Which Ape project a command runs in: its files (the model store) follow the project, so
`ogkit models ...` and the chain see the same store from any folder inside it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

APE_CONFIG = "ape-config.yaml"
STORE_SUBDIR = Path(".ogkit") / "models"
STORE_OPTION_HELP = (
    "Model store directory [env OGKIT_MODEL_STORE; default: .ogkit/models in the project "
    "(the nearest folder upward with ape-config.yaml), else in the current one]."
)
"""The help of every command's store option: the rule `store_dir_for` applies."""


def _is_project_root(folder: Path) -> bool:
    if (folder / APE_CONFIG).is_file():
        return True
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        table = tomllib.loads(pyproject.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # not ours to judge; a broken pyproject.toml marks no project
    return isinstance(table.get("tool"), dict) and "ape" in table["tool"]


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder from `start` (default: the current directory) upward that holds
    `ape-config.yaml`, or a `pyproject.toml` with a `[tool.ape]` table; None outside any."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if _is_project_root(candidate):
            return candidate
    return None


def store_dir_for(root: Path) -> Path:
    """The model store of the project at `root`."""
    return root.resolve() / STORE_SUBDIR


def model_store_dir(root: Path, configured: str | None = None) -> Path:
    """The store a chain of the project at `root` uses: `configured` (ape-config.yaml's
    `opengradient.model_store`, relative to the project), else `$OGKIT_MODEL_STORE`, else the
    project's own; the same for the in-process chain and the node it starts."""
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else Path(root).resolve() / path
    if env := os.environ.get("OGKIT_MODEL_STORE"):
        return Path(env).resolve()
    return store_dir_for(root)
