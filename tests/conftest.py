"""Shared fixtures: the example models are in the store before any chain test runs."""

from __future__ import annotations

import os
import tempfile

import pytest

from og_examples.install import install_examples
from og_examples.models import UPSTREAM_DEMO_ALIAS
from ogkit.models.store import ModelStore

# The in-process chain's engine reads its store from here when Ape connects (after this
# import): tests get a store of their own and never touch the project's `.ogkit/models`.
os.environ["OGKIT_MODEL_STORE"] = tempfile.mkdtemp(prefix="ogkit-test-store-")

UPSTREAM_STYLE_CID = UPSTREAM_DEMO_ALIAS
"""An alpha-testnet-style IPFS id, aliased to our `upstream_demo` model."""


@pytest.fixture
def admin(accounts):
    return accounts[0]


@pytest.fixture
def relayer(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def model_store() -> ModelStore:
    store = ModelStore()
    install_examples(store)
    return store


# --- a real `ogkit node` process and a web3 client on it (the node test modules) -----------


@pytest.fixture(scope="module")
def node(tmp_path_factory, model_store):
    from test_node_support import NodeProcess

    process = NodeProcess(tmp_path_factory.mktemp("node"), store=model_store.root).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def w3(node):
    from web3 import Web3

    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def sentiment(project):
    from test_node_support import web3_artifact

    return web3_artifact(project, "SentimentGate")


@pytest.fixture(scope="module")
def gate(w3, sentiment):
    from test_node_support import DEV_KEYS, deploy

    abi, bytecode = sentiment
    return deploy(w3, DEV_KEYS[0], abi, bytecode, "sentiment")
