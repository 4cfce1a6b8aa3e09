"""Processes and the HTTPS client of bench/gateway.py: real `ogkit` commands on free ports
(output in bench/.work/), one kept-alive connection to the gateway."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OGKIT = ROOT / ".venv" / "bin" / "ogkit"
WORK = HERE / ".work"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> bytes:
    context = ssl._create_unverified_context()
    with urllib.request.urlopen(url, timeout=5, context=context) as reply:
        return reply.read()


class Process:
    """A real `ogkit` command on a free port, its output in bench/.work/."""

    def __init__(self, name: str, args: list[str], ready: str) -> None:
        WORK.mkdir(exist_ok=True)
        self.log = WORK / f"{name}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(OGKIT), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if ready.startswith("http"):
                    _get(ready)
                else:
                    rpc = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
                    request = urllib.request.Request(
                        ready.removeprefix("rpc:"),
                        rpc.encode(),
                        {"Content-Type": "application/json"},
                    )
                    urllib.request.urlopen(request, timeout=5).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


class Client:
    """One kept-alive HTTPS connection to the gateway."""

    def __init__(self, port: int) -> None:
        context = ssl._create_unverified_context()  # the enclave's self-made certificate
        self.connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=120, context=context
        )

    def chat(self, body: dict, headers: dict | None = None) -> tuple[dict, dict]:
        self.connection.request(
            "POST",
            "/v1/chat/completions" if "messages" in body else "/v1/completions",
            json.dumps(body),
            {"Content-Type": "application/json", **(headers or {})},
        )
        reply = self.connection.getresponse()
        data = json.loads(reply.read())
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {data}")
        return data, {k.lower(): v for k, v in reply.getheaders()}

    def ask_offer(self, body: dict) -> tuple[str, list[dict]]:
        """An unpaid request: the 402's resource URL and offers."""
        path = "/v1/chat/completions" if "messages" in body else "/v1/completions"
        self.connection.request(
            "POST", path, json.dumps(body), {"Content-Type": "application/json"}
        )
        reply = self.connection.getresponse()
        reply.read()
        if reply.status != 402:
            raise RuntimeError(f"expected a 402, got HTTP {reply.status}")
        required = json.loads(base64.b64decode(reply.getheader("PAYMENT-REQUIRED")))
        return required["resource"]["url"], required["accepts"]

    def settlement(self, job: str) -> dict:
        self.connection.request("GET", f"/v1/settlements/{job}")
        reply = self.connection.getresponse()
        return json.loads(reply.read())
