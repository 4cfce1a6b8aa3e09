"""Shared fixtures: the example models are in the store before any chain test runs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ogkit.models.examples import UPSTREAM_DEMO_ALIAS, build_examples
from ogkit.models.store import ModelStore

UPSTREAM_STYLE_CID = UPSTREAM_DEMO_ALIAS
"""An alpha-testnet-style IPFS id, aliased to our `upstream_demo` model."""


@pytest.fixture(scope="session")
def model_store() -> ModelStore:
    store = ModelStore()
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in build_examples(Path(tmp)).items():
            store.add(path, name)
    store.alias(UPSTREAM_STYLE_CID, store.resolve("upstream_demo").cid)
    return store
