"""Transactions per second through `ogkit node` and through anvil, same client; writes
bench/RESULTS-node.md.

    cd <repo> && .venv/bin/python bench/node.py      # also run by bench/run.py (make bench)
    .venv/bin/python bench/node.py --quick           # transfers and calls, 8 rounds, no
                                                     # profile, results to bench/.work/

A benchmark, not a test: it measures and reports, it never fails on a timing.

Both nodes run as real processes on free ports with their default settings (automine; log
output to files in bench/.work/). One client drives both: web3.py over HTTP (keep-alive,
middleware removed so the client does the same small amount of work for both), with raw
transactions signed before the clock starts. Per cell and round it sends N transactions:

* sequential: send one, poll its receipt until it is there, then the next;
* pipelined: send all N, then poll all N receipts.

Workloads: (a) plain ETH transfers; (b) a plain contract call, `BenchCounter.increment()`
(one storage write and one event; bench/contracts/, built with the project's solc);
(c) `SentimentGate.submit(words)` through 0xF4, with words no earlier transaction sent (the
model really runs) and with the same words every time (the result cache answers). anvil has
no 0xF4, so (c) runs on ogkit node alone. Rounds interleave the cells, rotating their order;
each figure is the median over rounds with p10 – p90, and each ratio ours/anvil is taken per
round (the two ran back to back) and then summarised.

Then a profile of where the node's time goes: the same transactions handled in-process by
the node's JSON-RPC layer (`Rpc.handle` on request bodies: no HTTP, no client), timed and
under cProfile, plus the HTTP round trip of a trivial request on both nodes.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
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

from contracts_build import REMAPPING, _solc_binary, _sources  # noqa: E402
from eth_account import Account  # noqa: E402
from stats import Summary, fmt  # noqa: E402
from web3 import Web3  # noqa: E402
from web3.exceptions import TransactionNotFound  # noqa: E402

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


# ------------------------------------------------------------------------------ set-up


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


def compile_contracts() -> dict[str, tuple[list, str]]:
    """BenchCounter (bench/contracts/) and SentimentGate (contracts/examples/), with the
    project's pinned solc and settings, as bench/contracts_build.py builds its contracts."""
    import solcx

    wanted = {
        "bench/contracts/BenchCounter.sol": "BenchCounter",
        "contracts/examples/SentimentGate.sol": "SentimentGate",
    }
    out = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {sid: {"content": text} for sid, text in _sources().items()},
            "settings": {
                "evmVersion": "cancun",
                "optimizer": {"enabled": False},
                "remappings": [REMAPPING],
                "outputSelection": {
                    sid: {name: ["abi", "evm.bytecode.object"]} for sid, name in wanted.items()
                },
            },
        },
        solc_binary=_solc_binary(),
    )
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    return {
        name: (
            out["contracts"][sid][name]["abi"],
            "0x" + out["contracts"][sid][name]["evm"]["bytecode"]["object"],
        )
        for sid, name in wanted.items()
    }


def deploy(server: Server, key: str, artifact: tuple[list, str], *args) -> object:
    abi, bytecode = artifact
    w3 = server.w3
    data = w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args).data_in_transaction
    raw = sign(server, key, None, data, 3_000_000)
    receipt = wait_receipt(w3, w3.eth.send_raw_transaction(raw))
    assert receipt["status"] == 1, receipt
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def sign(
    server: Server, key: str, to: str | None, data: str | bytes, gas: int, value: int = 0
) -> bytes:
    tx = {
        "type": 2,
        "chainId": server.chain_id,
        "nonce": server.next_nonce(key),
        "gas": gas,
        "maxFeePerGas": MAX_FEE,
        "maxPriorityFeePerGas": TIP,
        "value": value,
        "data": data,
    }
    if to is not None:
        tx["to"] = to
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


POLLS = {"count": 0}
"""Receipt requests that found no receipt yet (anvil mines in the background)."""


def wait_receipt(w3: Web3, tx_hash) -> dict:
    """Poll until the receipt is there: at once on ogkit node (it mines before answering
    `eth_sendRawTransaction`); on anvil, which mines in the background, often only on a
    second request. Polls back to back (no sleep) for the first 2,000 attempts, so a
    node that mines asynchronously loses no time to the client's sleeps."""
    attempts = 0
    while True:
        try:
            return w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            attempts += 1
            POLLS["count"] += 1
            if attempts > 2_000:
                time.sleep(0.001)


class Workload:
    """Pre-signs the transactions of one cell for one node."""

    def __init__(self, server: Server, counter, gate) -> None:
        self.server = server
        self.counter = counter
        self.gate = gate
        self.fresh = 0

    def sign_batch(self, workload: str, n: int) -> list[bytes]:
        s = self.server
        if workload == "transfer":
            return [sign(s, KEYS["transfer"], RECIPIENT, b"", GAS["transfer"], 1) for _ in range(n)]
        if workload == "call":
            data = self.counter.encode_abi("increment", [])
            return [
                sign(s, KEYS["call"], self.counter.address, data, GAS["call"]) for _ in range(n)
            ]
        out = []
        for _ in range(n):
            if workload == "infer-fresh":
                self.fresh += 1
                words = [*WORDS, f"w{os.getpid()}x{self.fresh:06d}"]
            else:
                words = [*WORDS, "w-cached-000000"]
            data = self.gate.encode_abi("submit", [words])
            out.append(sign(s, KEYS["infer"], self.gate.address, data, GAS["infer"]))
        return out


def run_cell(w3: Web3, raws: list[bytes], mode: str) -> tuple[float, list[float]]:
    """(transactions per second, per-transaction seconds for sequential mode)."""
    latencies = []
    send, receipt = w3.eth.send_raw_transaction, wait_receipt
    if mode == "sequential":
        t_start = time.perf_counter()
        for raw in raws:
            t0 = time.perf_counter()
            tx_receipt = receipt(w3, send(raw))
            latencies.append(time.perf_counter() - t0)
            assert tx_receipt["status"] == 1
        total = time.perf_counter() - t_start
    else:
        t_start = time.perf_counter()
        hashes = [send(raw) for raw in raws]
        receipts = [receipt(w3, h) for h in hashes]
        total = time.perf_counter() - t_start
        assert all(r["status"] == 1 for r in receipts)
    return len(raws) / total, latencies


# ------------------------------------------------------------------------------ measure


def bench_throughput(ours: Server, anvil: Server, artifacts: dict) -> dict:
    loads = {}
    for server in (ours, anvil):
        counter = deploy(server, KEYS["call"], artifacts["BenchCounter"])
        gate = (
            deploy(server, KEYS["infer"], artifacts["SentimentGate"], "sentiment")
            if server is ours
            else None
        )
        loads[server.name] = Workload(server, counter, gate)
    cells = [
        (server, workload, mode)
        for workload in WORKLOADS
        for mode in MODES
        for server in (ours, anvil)
        if server is ours or workload in BOTH
    ]
    for server in (ours, anvil):  # warm-up (and the cached inference's first, real, run)
        for workload in WORKLOADS:
            if server is ours or workload in BOTH:
                run_cell(server.w3, loads[server.name].sign_batch(workload, WARMUP), "sequential")
    tps: dict[str, list[float]] = {}
    latency: dict[str, list[float]] = {}
    empty: dict[str, int] = {}
    cpu: dict[str, list[float]] = {}
    for r in range(ROUNDS):
        order = cells[r % len(cells) :] + cells[: r % len(cells)]
        if r % 2:
            order = order[::-1]
        for server, workload, mode in order:
            raws = loads[server.name].sign_batch(workload, PER_CELL)
            misses = POLLS["count"]
            cpu_before = server.cpu_seconds()
            rate, latencies = run_cell(server.w3, raws, mode)
            key = f"{server.name}|{workload}|{mode}"
            cpu.setdefault(key, []).append((server.cpu_seconds() - cpu_before) / len(raws))
            tps.setdefault(key, []).append(rate)
            latency.setdefault(key, []).extend(latencies)
            empty[key] = empty.get(key, 0) + POLLS["count"] - misses
    return {
        "tps": tps,
        "latency": latency,
        "cpu": cpu,
        "empty_polls": empty,
        "txs": ROUNDS * PER_CELL,
    }


def round_trip(server: Server) -> list[float]:
    """Seconds per `eth_chainId` through the same client: transport and client overhead."""
    w3 = server.w3
    for _ in range(30):
        _ = w3.eth.chain_id
    out = []
    for _ in range(RTT_CALLS):
        t0 = time.perf_counter()
        _ = w3.eth.chain_id
        out.append(time.perf_counter() - t0)
    return out


PHASES = [
    # (label, path suffix, function): cumulative time per transaction under cProfile
    ("JSON-RPC handling, all of it (`Rpc.handle`)", "ogkit/node/rpc/dispatch.py", "handle"),
    ("`eth_sendRawTransaction`", "ogkit/node/rpc/methods/eth.py", "eth_send_raw_transaction"),
    ("  decode the raw transaction", "ogkit/node/chain/transactions.py", "decode_raw"),
    (
        "  recover the sender (ecrecover)",
        "eth/_utils/transactions.py",
        "extract_transaction_sender",
    ),
    (
        "  EVM execution (py-evm `state.apply_transaction`)",
        "eth/vm/forks/frontier/state.py",
        "apply_transaction",
    ),
    ("  transaction + receipt tries", "eth/vm/base.py", "set_block_transactions_and_withdrawals"),
    (
        "  state root (`AccountDB.make_state_root`, once per block)",
        "eth/db/account.py",
        "make_state_root",
    ),
    (
        "  header check against its parent (`VM.validate_header`)",
        "eth/vm/forks/paris/__init__.py",
        "validate_header",
    ),
    ("  block storage (`ChainDB.persist_block`)", "eth/db/chain.py", "persist_block"),
    (
        "  the next pending header (made on first use: here, in the next send)",
        "ogkit/chain/assembly.py",
        "create_header_from_parent",
    ),
    (
        "`eth_getTransactionReceipt`",
        "ogkit/node/rpc/methods/blocks.py",
        "eth_get_transaction_receipt",
    ),
]


def profile_in_process(artifacts: dict) -> dict:
    """The node's own work per transaction, without HTTP and without a client."""
    from ogkit.node import NodeChain, NodeConfig, Rpc

    node = NodeChain(NodeConfig())
    rpc = Rpc(node, "bench", lambda line: None)  # logging on, to a sink
    ids = iter(range(1, 1 << 30))

    def call(method: str, *params) -> object:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(ids), "method": method, "params": list(params)}
        ).encode()
        reply = json.loads(rpc.handle(body))
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    key = KEYS["call"]
    address = Account.from_key(key).address
    nonce = int(call("eth_getTransactionCount", address, "latest"), 16)
    abi, bytecode = artifacts["BenchCounter"]
    deploy_tx = Account.sign_transaction(
        {
            "type": 2,
            "chainId": node.chain_id,
            "nonce": nonce,
            "gas": 3_000_000,
            "maxFeePerGas": MAX_FEE,
            "maxPriorityFeePerGas": TIP,
            "data": bytecode,
        },
        key,
    )
    call("eth_sendRawTransaction", deploy_tx.raw_transaction.to_0x_hex())
    created = Web3.to_checksum_address(
        call("eth_getTransactionReceipt", deploy_tx.hash.to_0x_hex())["contractAddress"]
    )
    data = Web3().eth.contract(abi=abi).encode_abi("increment", [])

    def bodies(n: int, start: int) -> list[tuple[bytes, bytes]]:
        out = []
        for i in range(n):
            tx = Account.sign_transaction(
                {
                    "type": 2,
                    "chainId": node.chain_id,
                    "nonce": start + i,
                    "gas": GAS["call"],
                    "maxFeePerGas": MAX_FEE,
                    "maxPriorityFeePerGas": TIP,
                    "to": created,
                    "data": data,
                },
                key,
            )
            out.append(
                tuple(
                    json.dumps(
                        {"jsonrpc": "2.0", "id": 1, "method": method, "params": [param]}
                    ).encode()
                    for method, param in (
                        ("eth_sendRawTransaction", tx.raw_transaction.to_0x_hex()),
                        ("eth_getTransactionReceipt", tx.hash.to_0x_hex()),
                    )
                )
            )
        return out

    def drive(batch: list[tuple[bytes, bytes]]) -> list[tuple[float, float]]:
        times = []
        for send, receipt in batch:
            t0 = time.perf_counter()
            rpc.handle(send)
            t1 = time.perf_counter()
            assert b'"status":"0x1"' in rpc.handle(receipt)
            times.append((t1 - t0, time.perf_counter() - t1))
        return times

    nonce += 1
    drive(bodies(30, nonce))
    nonce += 30
    timed = drive(bodies(PROFILE_TXS, nonce))
    nonce += PROFILE_TXS
    batch = bodies(PROFILE_TXS, nonce)
    prof = cProfile.Profile()
    prof.enable()
    drive(batch)
    prof.disable()
    node.close()
    st = pstats.Stats(prof)
    phases = []
    for label, suffix, name in PHASES:
        total = sum(
            ct
            for (path, _, func), (_, _, _, ct, _) in st.stats.items()
            if func == name and path.endswith(suffix)
        )
        phases.append((label, total * 1e3 / PROFILE_TXS))
    top = sorted(st.stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    hot = [
        (f"{Path(path).name}:{line} `{func}`", tt * 1e3 / PROFILE_TXS, nc / PROFILE_TXS)
        for (path, line, func), (_, nc, tt, _, _) in top
    ]
    return {
        "send_ms": [t[0] * 1e3 for t in timed],
        "receipt_ms": [t[1] * 1e3 for t in timed],
        "profiled_ms_per_tx": st.total_tt * 1e3 / PROFILE_TXS,
        "phases": phases,
        "hot": hot,
    }


# ------------------------------------------------------------------------------ report


def summary_cell(values: list[float], digits: int = 0) -> str:
    s = Summary.of(values)
    return f"{fmt(s.median, digits)} ({fmt(s.p10, digits)} – {fmt(s.p90, digits)})"


def write_results(info: dict, b: dict, rtt: dict, prof: dict, runtime: float) -> str:
    tps = b["tps"]
    L: list[str] = []
    add = L.append
    add("# ogkit node vs anvil: transactions per second")
    add("")
    add(
        f"Written by `bench/node.py` (run by `make bench`) on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in **{runtime:.0f} s**. One client "
        "(web3.py over HTTP, raw transactions signed before the clock starts) drives both "
        "nodes, each a real process with its default settings (automine). "
        f"{ROUNDS} interleaved rounds of {PER_CELL} transactions per cell; figures are the "
        "median over rounds with p10 – p90 in brackets; each ratio is ours / anvil per round "
        "(the two cells of a round ran back to back), then summarised."
    )
    add("")
    add("| machine | |")
    add("|---|---|")
    for k, v in info.items():
        add(f"| {k} | {v} |")
    add("")
    add("## Throughput")
    add("")
    add(
        "* **sequential**: send one transaction, poll its receipt until it is there, then the "
        "next (the latency a script sees);"
    )
    add("* **pipelined**: send all of a round's transactions, then fetch all the receipts.")
    add("")
    add("| workload | mode | ogkit node tx/s | anvil tx/s | ratio ours/anvil |")
    add("|---|---|---:|---:|---:|")
    labels = {
        "transfer": "(a) ETH transfer",
        "call": "(b) contract call: `BenchCounter.increment()`",
        "infer-fresh": "(c) `SentimentGate.submit`, new words (model runs)",
        "infer-cached": "(c) `SentimentGate.submit`, same words (result cache)",
    }
    ratios = {}
    for workload in WORKLOADS:
        for mode in MODES:
            ours = tps[f"ours|{workload}|{mode}"]
            if workload in BOTH:
                theirs = tps[f"anvil|{workload}|{mode}"]
                ratio = [a / b_ for a, b_ in zip(ours, theirs, strict=True)]
                ratios[(workload, mode)] = Summary.of(ratio)
                add(
                    f"| {labels[workload]} | {mode} | {summary_cell(ours)} | "
                    f"{summary_cell(theirs)} | **{summary_cell(ratio, 2)}** |"
                )
            else:
                add(f"| {labels[workload]} | {mode} | {summary_cell(ours)} | n/a (no 0xF4) | |")
    add("")
    add("Per-transaction latency in sequential mode (send + receipt), ms:")
    add("")
    add("| workload | ogkit node | anvil |")
    add("|---|---:|---:|")
    for workload in WORKLOADS:
        ours = [x * 1e3 for x in b["latency"][f"ours|{workload}|sequential"]]
        theirs = b["latency"].get(f"anvil|{workload}|sequential")
        other = summary_cell([x * 1e3 for x in theirs], 2) if theirs else "n/a"
        add(f"| {labels[workload]} | {summary_cell(ours, 2)} | {other} |")
    add("")
    add(
        "CPU time of the node process per transaction (user + system, all its threads; "
        f"each cell's total over its {PER_CELL} transactions; the clock ticks every 10 ms, so "
        "a cell's figure is rough, its median less so), ms:"
    )
    add("")
    add("| workload | mode | ogkit node | anvil |")
    add("|---|---|---:|---:|")
    for workload in WORKLOADS:
        for mode in MODES:
            ours = [x * 1e3 for x in b["cpu"][f"ours|{workload}|{mode}"]]
            theirs = b["cpu"].get(f"anvil|{workload}|{mode}")
            other = summary_cell([x * 1e3 for x in theirs], 2) if theirs else "n/a"
            add(f"| {labels[workload]} | {mode} | {summary_cell(ours, 2)} | {other} |")
    add("")
    seq, pipe = ratios[("call", "sequential")].median, ratios[("call", "pipelined")].median
    if seq >= GOAL and pipe >= GOAL:
        verdict = "Met in both modes"
    elif seq >= GOAL or pipe >= GOAL:
        verdict = f"Met in {'sequential' if seq >= GOAL else 'pipelined'} mode only"
    else:
        verdict = "Not met"
    add(
        f"**Goal (issue 13): plain contract calls at >= {GOAL} of anvil's rate (1.0 the "
        f"aim; issue 3 asked 0.5). {verdict}**: the "
        f"median ratio for (b) is {seq:.2f} sequential and {pipe:.2f} pipelined (transfers: "
        f"{ratios[('transfer', 'sequential')].median:.2f} / "
        f"{ratios[('transfer', 'pipelined')].median:.2f}). Much of anvil's time per "
        "transaction is the client's and the HTTP round trips' (below); anvil's figures "
        "also swing more with the machine's load (its p10 – p90)."
    )
    add("")
    polls = {k: v / b["txs"] for k, v in b["empty_polls"].items() if k.startswith("anvil|")}
    if polls:
        add(
            "anvil answers `eth_sendRawTransaction` before its block is mined, so a receipt "
            "request can come too early; empty receipt requests per transaction: "
            + ", ".join(
                f"{k.split('|', 1)[1].replace('|', ' ')} {v:.2f}" for k, v in sorted(polls.items())
            )
            + ". ogkit node seals the block before it serves any later request: "
            f"{sum(v for k, v in b['empty_polls'].items() if k.startswith('ours|'))} empty "
            "requests in the whole run."
        )
        add("")
    add("## Where the node's time goes")
    add("")
    rtt_ours, rtt_anvil = (Summary.of([x * 1e3 for x in rtt[k]]) for k in ("ours", "anvil"))
    send, receipt = Summary.of(prof["send_ms"]), Summary.of(prof["receipt_ms"])
    add(
        f"* HTTP round trip of a trivial request (`eth_chainId`) through the same client: "
        f"ogkit node {rtt_ours.median:.3f} ms, anvil {rtt_anvil.median:.3f} ms (median of "
        f"{RTT_CALLS}). Most of it is the client (web3.py + requests); the difference is "
        "the node's HTTP server and JSON-RPC layer."
    )
    add(
        f"* In-process, without HTTP or client, the node handles a (b) transaction in "
        f"{send.median:.3f} ms (`eth_sendRawTransaction`: decode, execute, seal the block, "
        f"store it) plus {receipt.median:.3f} ms (`eth_getTransactionReceipt`), median of "
        f"{PROFILE_TXS}: at most {1e3 / (send.median + receipt.median):,.0f} tx/s before any "
        "transport."
    )
    add(
        f"* cProfile of {PROFILE_TXS} more, cumulative ms per transaction (profiling "
        f"inflates everything; {prof['profiled_ms_per_tx']:.2f} ms per transaction under "
        "the profiler):"
    )
    add("")
    add("| phase | ms per tx (profiled) |")
    add("|---|---:|")
    for label, value in prof["phases"]:
        add(f"| {label} | {value:.3f} |")
    add("")
    add("Hottest functions by own time (ms per transaction, profiled; calls per transaction):")
    add("")
    add("| function | own ms | calls |")
    add("|---|---:|---:|")
    for label, own, calls in prof["hot"]:
        add(f"| {label} | {own:.3f} | {calls:,.0f} |")
    add("")
    add(
        "What the node does per automined transaction, and what it no longer does: over "
        "HTTP it answers `eth_sendRawTransaction` once the transaction has run, and seals "
        "the block (state root, storage, next pending block) right after writing the "
        "answer, while the client reads it; any later request, from any client, waits for "
        "that seal, so none sees the chain without the block (in-process, as profiled "
        "above, it seals before returning). The next pending header is not made at the "
        "seal: the first request that needs it makes it, or the server after its next "
        "answer (usually the receipt's, while the client reads it), with the VM, state and "
        "empty block the next transaction will run in. One VM "
        "and one state for the transaction and its block (py-evm's `MiningChain` makes a "
        "second VM to seal, decodes the pending block back from the database and persists "
        "the state twice); the state root once per block; the sealed header checked "
        "against its parent in memory (`VM.validate_header`), not `VM.validate_block`, "
        "which read the parent back from the database twice and rebuilt the transaction "
        "root the block was just built from; no eager "
        "formatting of py-evm's per-block debug line; the canonical head and the receipts "
        "of the block just sealed kept in memory. What remains is py-evm's own work: "
        "executing the transaction, the Merkle-Patricia tries (state root, transaction "
        "and receipt roots), RLP and keccak. Answering before executing, as anvil does, "
        "was measured and not taken: the node already seals after its answer, and the "
        "client's receipt request arrives while it is still sealing (a node instrumented "
        "per request sat idle 0.02 - 0.05 ms, median, between the seal and that request), "
        "so executing after the answer too would only lengthen the seal the receipt waits "
        "for."
    )
    add("")
    text = "\n".join(L)
    RESULTS.write_text(text)
    return text


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


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Defaults: the full run `make bench` records. `--quick` (a before/after check while
    working on the node) writes elsewhere, so the recorded results stay the full run's."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="transfer+call, 8 rounds, no profile")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help=f"default {RESULTS}")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = args.rounds or 8
        args.out = args.out or WORK / "RESULTS-node-quick.md"
    return args


def main(argv: list[str] | None = None) -> None:
    global ROUNDS, RESULTS, WORKLOADS
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ROUNDS = args.rounds or ROUNDS
    RESULTS = args.out or RESULTS
    if args.quick:
        WORKLOADS = BOTH
    started = time.perf_counter()
    from og_examples.install import install_examples
    from ogkit.models.store import ModelStore

    store = ModelStore()
    install_examples(store)
    if not ANVIL.exists():
        raise SystemExit(f"{ANVIL} is missing: run `npm ci` (make setup)")
    print("node bench: contracts …", flush=True)
    artifacts = compile_contracts()
    ours = Server(
        "ours",
        lambda port: [str(OGKIT), "node", "--port", str(port), "--model-store", str(store.root)],
    )
    anvil = Server("anvil", lambda port: [str(ANVIL), "--port", str(port)])
    try:
        info = machine_info(anvil)
        print("node bench: throughput …", flush=True)
        b = bench_throughput(ours, anvil, artifacts)
        rtt = {"ours": round_trip(ours), "anvil": round_trip(anvil)}
    finally:
        ours.stop()
        anvil.stop()
    print("node bench: profile …", flush=True)
    prof = QUICK_PROFILE if args.quick else profile_in_process(artifacts)
    info["load average (1 min) at end"] = f"{os.getloadavg()[0]:.2f}"
    WORK.mkdir(exist_ok=True)
    (WORK / "node-raw.json").write_text(
        json.dumps({"b": b, "rtt": rtt, "profile": prof}, default=str)
    )
    runtime = time.perf_counter() - started
    text = write_results(info, b, rtt, prof, runtime)
    print(text)
    print(f"\nwrote {RESULTS} in {runtime:.0f} s")


if __name__ == "__main__":
    main()
