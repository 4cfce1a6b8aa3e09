"""The `ogkit models` CLI tests' temporary project: an ape-config.yaml and a model file, the
test running in a sub-folder of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_models_support import onnx_bytes, relu_graph


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a model file in it; the test runs in a sub-folder."""
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    (root / "ape-config.yaml").write_text("name: proj\n")
    (root / "relu.onnx").write_bytes(onnx_bytes(relu_graph()))
    monkeypatch.chdir(root / "scripts")
    return root
