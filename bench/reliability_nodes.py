"""The nodes bench/reliability.py starts: `ogkit node` subprocesses that are always stopped.

Reuses tests/support/node_support.py's NodeProcess (free port, readiness poll, log file,
kill -9). Every node started here is registered, and `stop_all()` (called from a `finally`,
from atexit and on SIGTERM) kills whatever is still running, so an error or Ctrl-C never
leaves an `ogkit node` behind: the nodes run in sessions of their own, out of reach of the
terminal's Ctrl-C.
"""

from __future__ import annotations

import atexit
import http.client
import json
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from node_support import OGKIT, NodeProcess, RpcFailure  # noqa: E402

__all__ = ["NodeProcess", "RpcFailure", "Nodes", "node_flags", "raise_fd_limit", "call"]

_RUNNING: list[NodeProcess] = []


def node_flags() -> list[str]:
    """Flags every bench node gets: `--rpc-evm-timeout 5` once the node has that option."""
    help_text = subprocess.run(
        [str(OGKIT), "node", "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT
    ).stdout
    return ["--rpc-evm-timeout", "5"] if "--rpc-evm-timeout" in help_text else []


class Nodes:
    """Starts nodes under one temporary directory and remembers them for `stop_all()`."""

    def __init__(self, flags: list[str]) -> None:
        self.flags = flags
        self._tmp = tempfile.TemporaryDirectory(prefix="ogkit-reliability-")
        self.workdir = Path(self._tmp.name)

    def start(self, *args: str) -> NodeProcess:
        node = NodeProcess(self.workdir, "--quiet", *self.flags, *args)
        _RUNNING.append(node)
        return node.start()

    def datadir(self, name: str) -> Path:
        return self.workdir / name

    def close(self) -> None:
        stop_all()
        self._tmp.cleanup()


def stop_all() -> None:
    """Kill -9 every node this process started that is still running (no grace: a bench)."""
    while _RUNNING:
        node = _RUNNING.pop()
        try:
            node.kill9()
        except (OSError, subprocess.TimeoutExpired):
            pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
    raise KeyboardInterrupt  # unwinds through the `finally` that stops the nodes


atexit.register(stop_all)
signal.signal(signal.SIGTERM, _on_sigterm)
signal.signal(signal.SIGINT, signal.default_int_handler)  # even where started with it ignored


def raise_fd_limit(wanted: int) -> tuple[int, int]:
    """Raise the soft descriptor limit to `wanted` (at most the hard one); (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def call(port: int, method: str, params: list[Any], timeout: float) -> Any:
    """One JSON-RPC call on a fresh connection; the result, or RpcFailure with the error."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        reply = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    if "error" in reply:
        raise RpcFailure(reply["error"])
    return reply["result"]
