"""Model-store helpers shared by the test folders (no tests here)."""

from __future__ import annotations

from pathlib import Path

from og_examples.models import UPSTREAM_DEMO_ALIAS
from ogkit.models.store import ModelStore

UPSTREAM_STYLE_CID = UPSTREAM_DEMO_ALIAS
"""An alpha-testnet-style IPFS id, aliased to our `upstream_demo` model."""


def store_with(root: Path, files: dict[str, Path]) -> ModelStore:
    """A new store at `root` holding `files` (name -> ONNX file), each under its name."""
    store = ModelStore(root)
    for name, path in files.items():
        store.add(path, name)
    return store
