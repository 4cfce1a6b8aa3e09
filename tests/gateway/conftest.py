"""Fixtures of the gateway tests: OpenGradient's SDK venv, an inference node of the
session's example store, and the module's real processes: the AI chain (`node`, `w3`) and
the payment chain (`pay_node`, `pay_w3`), each started once per module that asks for it, and
`gateway`: the plain-HTTP gateway on the inference node, in a thread (modules with a gateway
of their own override it; helpers in tests/support/gateway_support.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gateway_support import SDK_PYTHON, serve
from node_support import NodeProcess
from web3 import Web3

from ogkit.inference.node import InferenceNode


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    if not SDK_PYTHON.is_file():
        pytest.skip("the OpenGradient SDK venv is missing: run `make sdk`")
    version = subprocess.run(
        [str(SDK_PYTHON), "-c", "import importlib.metadata as m; print(m.version('opengradient'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == "1.1.4"
    return SDK_PYTHON


@pytest.fixture(scope="module")
def inference_node(model_store) -> InferenceNode:
    return InferenceNode(model_store, llm_http=None)


@pytest.fixture(scope="module")
def gateway(inference_node):
    server = serve(inference_node, tls=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def node(tmp_path_factory, model_store) -> NodeProcess:
    """`ogkit node` on the session's store: the AI chain, its TEE registry in genesis."""
    process = NodeProcess(tmp_path_factory.mktemp("node"), store=model_store.root).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def w3(node) -> Web3:
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def pay_node(tmp_path_factory) -> NodeProcess:
    """`ogkit node --payments`: the payment chain (chain id 8453, OPG, Permit2)."""
    process = NodeProcess(tmp_path_factory.mktemp("pay-node"), "--payments").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def pay_w3(pay_node) -> Web3:
    return Web3(Web3.HTTPProvider(pay_node.url, request_kwargs={"timeout": 60}))
