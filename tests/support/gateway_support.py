"""Helpers for the gateway tests (no tests here): OpenGradient's SDK venv, run as a
subprocess, and an in-process gateway on an inference node."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ogkit.gateway import GatewayModels, GatewayServer, ResponseSigner
from ogkit.inference.node import InferenceNode

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"


def run_sdk(sdk_python: Path, code: str, stdin: str = "") -> str:
    """Run `code` in the SDK's venv; its stdout."""
    done = subprocess.run(
        [str(sdk_python), "-c", code], input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def serve(node: InferenceNode, **options) -> GatewayServer:
    """A gateway over `node`'s LLM engine, enclave and book, serving in a thread."""
    models = GatewayModels(node.llm_engine)
    signer = ResponseSigner(node.enclave_slot, node.book)
    return GatewayServer(("127.0.0.1", 0), models, signer, **options).start()
