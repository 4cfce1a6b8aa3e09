"""Fixtures of the node tests: a real `ogkit node` process per module, a web3 client on it,
SentimentGate deployed there, Leaf and Probe run there for the struct-log tests, and stand-ins
of a misbehaving live RPC (another chain, no JSON-RPC, a silent socket, a closed port) for the
live-network tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from live_network_support import json_rpc_server
from node_support import DEV_KEYS, NodeProcess, deploy, free_port, web3_artifact
from struct_log_support import run_probe
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


@pytest.fixture(scope="module")
def on_node(w3):
    return run_probe(w3)


@pytest.fixture(scope="module")
def other_chain() -> Iterator[str]:
    """A JSON-RPC server of chain id 1 (Ethereum mainnet), not alpha."""
    yield from json_rpc_server(1)


@pytest.fixture(scope="module")
def not_json_rpc() -> Iterator[str]:
    yield from json_rpc_server(None)


@pytest.fixture
def silent() -> Iterator[str]:
    """A socket that accepts connections (the kernel does, from the backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def closed_port() -> str:
    return f"http://127.0.0.1:{free_port()}"
