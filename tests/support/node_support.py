"""Helpers for the `ogkit node` tests (no tests here): the node as a real subprocess.

A node is started on a free port, readiness is polled with `eth_blockNumber`, its output
goes to a log file (read by tests that check the log lines), and it is always stopped.
`InProcessRpc` speaks the same JSON-RPC to a node's `Rpc` in the test's own process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OGKIT = Path(sys.executable).with_name("ogkit")
CAST = ROOT / "node_modules" / "@foundry-rs" / "cast-linux-amd64" / "bin" / "cast"
READY_TIMEOUT = 90.0
"""Generous: a loaded 2-core machine can take many seconds to import py-evm."""

DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
]
"""The first keys of Ape's and anvil's "test test … junk" mnemonic."""

SENTIMENT_WORDS = ["ETH", "looks", "bullish", "after", "a", "strong", "breakout"]
SENTIMENT_SCORE = (475, 2)
"""The sentiment model's score of SENTIMENT_WORDS: 4.75 (see test_sentiment_gate.py)."""


class RpcFailure(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


class InProcessRpc:
    """JSON-RPC requests to an in-process node's `Rpc`, as a client sends them (a JSON body
    in, a JSON reply out); an error reply raises `RpcFailure`."""

    def __init__(self, rpc: Any) -> None:
        self.rpc = rpc
        self.ids = count(1)

    def call(self, method: str, *params: Any) -> Any:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": list(params)}
        ).encode()
        reply = json.loads(self.rpc.handle(body))
        if "error" in reply:
            raise RpcFailure(reply["error"])
        return reply["result"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class NodeProcess:
    """`ogkit node` in a subprocess of its own session (so it can be killed cleanly)."""

    def __init__(self, workdir: Path, *args: str, store: Path | None = None) -> None:
        self.workdir = workdir
        self.args = list(args)
        self.store = store
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"node-{time.monotonic_ns()}.log"
        self._ids = iter(range(1, 1 << 62))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, attempts: int = 3) -> NodeProcess:
        for _ in range(attempts):
            self.port = free_port()
            command = [str(OGKIT), "node", "--port", str(self.port), *self.args]
            if self.store is not None:
                command += ["--model-store", str(self.store)]
            log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            log.close()
            if self.wait_ready():
                return self
            if b"cannot listen" not in self.log_path.read_bytes():
                break  # not a port race: report it
        raise RuntimeError(f"ogkit node did not start:\n{self.log()}")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                self.rpc("eth_blockNumber", timeout=5)
                return True
            except (OSError, RpcFailure, ValueError):
                time.sleep(0.05)
        return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rpc(self, method: str, *params: Any, timeout: float = 60.0) -> Any:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        ).encode()
        _, raw = post(self.url, body, timeout)
        reply = json.loads(raw)
        if "error" in reply:
            raise RpcFailure(reply["error"])
        return reply["result"]

    def raw(self, body: bytes, timeout: float = 60.0) -> tuple[int, Any]:
        status, raw = post(self.url, body, timeout)
        return status, (json.loads(raw) if raw else None)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def web3_artifact(project: Any, name: str) -> tuple[list[dict], str]:
    """(ABI, deployment bytecode) of a project contract, from Ape's compiled types."""
    contract_type = getattr(project, name).contract_type
    abi = [entry.model_dump(mode="json", by_alias=True) for entry in contract_type.abi]
    return abi, contract_type.deployment_bytecode.bytecode


def deploy(w3: Any, key: str, abi: list, bytecode: str, *args: Any) -> Any:
    """Deploy with a raw signed transaction; returns a web3 contract at the new address."""
    from eth_account import Account

    account = Account.from_key(key)
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    tx = factory.constructor(*args).build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    assert receipt.status == 1
    return w3.eth.contract(address=receipt.contractAddress, abi=abi)


def transact(w3: Any, key: str, call: Any) -> Any:
    from eth_account import Account

    account = Account.from_key(key)
    tx = call.build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)


def compile_solidity(source: str, evm_version: str = "cancun") -> dict[str, tuple[list, str]]:
    """{contract: (ABI, deployment bytecode)} of a self-contained Solidity source, built with
    the project's pinned solc (0.8.28, `.solcx/` or SOLCX_BINARY_PATH) like bench/ does."""
    import solcx

    solc = Path(os.environ.get("SOLCX_BINARY_PATH") or ROOT / ".solcx") / "solc-v0.8.28"
    out = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"Test.sol": {"content": source}},
            "settings": {
                "evmVersion": evm_version,
                "optimizer": {"enabled": False},
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
            },
        },
        solc_binary=solc,
    )
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    return {
        name: (c["abi"], "0x" + c["evm"]["bytecode"]["object"])
        for name, c in out["contracts"]["Test.sol"].items()
    }


def run_result_script(source: str, path: Path, store: Path, *args: str) -> Any:
    """Run a Python script (an Ape user's, say) in a process of its own and return the JSON it
    printed last on a `RESULT ` line; the test fails with its output if there is none."""
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, str(path), *args],
        cwd=ROOT,
        env={**os.environ, "OGKIT_MODEL_STORE": str(store)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout[-3000:], done.stderr[-5000:])
    return json.loads(lines[-1][len("RESULT ") :])
