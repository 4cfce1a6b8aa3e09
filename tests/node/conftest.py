"""Fixtures of the node tests: a real `ogkit node` process per module, a web3 client on it, and
SentimentGate deployed there."""

from __future__ import annotations

import pytest
from node_support import DEV_KEYS, NodeProcess, deploy, web3_artifact
from web3 import Web3


@pytest.fixture(scope="module")
def node(tmp_path_factory, model_store):
    process = NodeProcess(tmp_path_factory.mktemp("node"), store=model_store.root).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def w3(node):
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def sentiment(project):
    return web3_artifact(project, "SentimentGate")


@pytest.fixture(scope="module")
def gate(w3, sentiment):
    abi, bytecode = sentiment
    return deploy(w3, DEV_KEYS[0], abi, bytecode, "sentiment")
