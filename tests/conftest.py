"""Shared fixtures: the example models are in the store before any chain test runs."""

from __future__ import annotations

import os
import tempfile

import pytest

from ogkit.models.examples import UPSTREAM_DEMO_ALIAS
from ogkit.models.install import install_examples
from ogkit.models.store import ModelStore

# The in-process chain's engine reads its store from here when Ape connects (after this
# import): tests get a store of their own and never touch the project's `.ogkit/models`.
os.environ["OGKIT_MODEL_STORE"] = tempfile.mkdtemp(prefix="ogkit-test-store-")

UPSTREAM_STYLE_CID = UPSTREAM_DEMO_ALIAS
"""An alpha-testnet-style IPFS id, aliased to our `upstream_demo` model."""


@pytest.fixture(scope="session")
def model_store() -> ModelStore:
    store = ModelStore()
    install_examples(store)
    return store
