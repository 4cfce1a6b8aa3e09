"""What every part of bench/node.py shares: paths, sample counts, keys and workloads, and the
two node processes it drives (`ogkit node` and anvil) with the machine they run on.

Imported first by every bench/node.py module: it sets the env defaults before anything loads
ogkit.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
os.environ.setdefault("OGKIT_MODEL_STORE", str(ROOT / ".ogkit" / "models"))

from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
WORK = HERE / ".work"
RESULTS = HERE / "RESULTS-node.md"

ROUNDS = 16
PER_CELL = 30  # transactions per cell per round
WARMUP = 20  # transactions per node and workload before the first round
PROFILE_TXS = 300
GOAL = 0.9  # issue 13: contract calls at >= 0.9 of anvil's rate through the same client
RTT_CALLS = 300

KEYS = {
    "transfer": "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "call": "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "infer": "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
}
"""Keys 5, 6 and 7 of the "test test … junk" mnemonic: funded on both nodes."""
RECIPIENT = "0x" + "11" * 20
GAS = {"transfer": 21_000, "call": 100_000, "infer": 2_000_000}
MAX_FEE, TIP = 50 * 10**9, 10**9
WORDS = ["ETH", "looks", "bullish", "after", "a", "strong", "breakout"]

WORKLOADS = ("transfer", "call", "infer-fresh", "infer-cached")
MODES = ("sequential", "pipelined")
BOTH = ("transfer", "call")  # the workloads anvil can run
QUICK_PROFILE = {
    "send_ms": [float("nan")],
    "receipt_ms": [float("nan")],
    "profiled_ms_per_tx": float("nan"),
    "phases": [],
    "hot": [],
}
"""What `--quick` reports instead of the in-process profile (it skips it)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A node process on a free port; its output goes to a log file."""

    def __init__(self, name: str, command: Callable[[int], list[str]]) -> None:
        self.name = name
        self.port = free_port()
        WORK.mkdir(exist_ok=True)
        self.log = open(WORK / f"node-bench-{name}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            command(self.port),
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 120}))
        self.w3.middleware_onion.clear()
        deadline = time.monotonic() + 120
        while True:
            try:
                self.chain_id = self.w3.eth.chain_id
                break
            except Exception:  # noqa: BLE001 - not up yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start; see {self.log.name}") from None
                time.sleep(0.05)
        self.nonces: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_nonce(self, key: str) -> int:
        if key not in self.nonces:
            address = Account.from_key(key).address
            self.nonces[key] = self.w3.eth.get_transaction_count(address)
        self.nonces[key] += 1
        return self.nonces[key] - 1

    def cpu_seconds(self) -> float:
        """User + system CPU time the node process has used so far (all its threads): a
        cost per transaction that a busy machine inflates far less than the wall clock."""
        fields = (Path("/proc") / str(self.process.pid) / "stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def machine_info(anvil: Server) -> dict[str, str]:
    from importlib import metadata

    version = anvil.w3.client_version
    return {
        "nproc (usable CPUs)": str(len(os.sched_getaffinity(0))),
        "python": platform.python_version(),
        "py-evm": metadata.version("py-evm"),
        "web3.py (the client)": metadata.version("web3"),
        "anvil": version,
        "load average (1 min) at start": f"{os.getloadavg()[0]:.2f}",
    }
