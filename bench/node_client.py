"""The client side of bench/node.py, the same for both nodes: the bench contracts built with
the project's solc, transactions signed before the clock starts, receipts polled, and one
cell (N transactions, sequential or pipelined) timed."""

from __future__ import annotations

import node_setup  # noqa: F401 - first: env defaults before ogkit loads

# isort: split

import os
import time

from contracts_build import REMAPPING, _solc_binary, _sources
from eth_account import Account
from node_setup import GAS, KEYS, MAX_FEE, RECIPIENT, TIP, WORDS, Server
from web3 import Web3
from web3.exceptions import TransactionNotFound


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
