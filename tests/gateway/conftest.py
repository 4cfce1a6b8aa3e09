"""Fixtures of the gateway tests: OpenGradient's SDK venv and an inference node of the
session's example store (helpers in tests/support/gateway_support.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gateway_support import SDK_PYTHON

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
