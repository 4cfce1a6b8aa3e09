"""Helpers for the gateway tests (no tests here): OpenGradient's SDK venv, run as a
subprocess, and an in-process gateway on an inference node."""

from __future__ import annotations

import http.client
import json
import subprocess
from pathlib import Path

from ogkit.gateway import GatewayModels, GatewayServer, ResponseSigner
from ogkit.inference.node import InferenceNode

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
CHAT = "/v1/chat/completions"
HELLO = [{"role": "user", "content": "Hello!"}]


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


def call(server, path, body=None, headers=None, method="POST", raw=None):
    """(status, headers with lower-case names, parsed JSON or text)."""
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    connection.request(method, path, data, {"Content-Type": "application/json", **(headers or {})})
    reply = connection.getresponse()
    text = reply.read().decode()
    fields = {k.lower(): v for k, v in reply.getheaders()}
    connection.close()
    is_json = fields.get("content-type") == "application/json"
    return reply.status, fields, json.loads(text) if is_json else text


def sse_events(text: str) -> list:
    lines = [line for line in text.split("\n") if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line[6:]) for line in lines[:-1]]
