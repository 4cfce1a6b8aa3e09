"""Section 2 of bench/reliability.py: kill -9 while clients send transactions; count losses.

Per round: client threads (one dev account each) send transfers signed before the round
starts, one after another on a keep-alive connection, and keep every hash the node
answered. At a random moment the node gets SIGKILL; it is restarted on the same
--data-dir, and every hash answered in that round must be found with a receipt (the node
promises this: an automined transaction whose hash was returned is sealed, at the latest
at the next start). At the end every hash of every round is checked once more.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field

from eth_account import Account
from node_support import DEV_KEYS
from reliability_fuzz import tracebacks
from reliability_nodes import NodeProcess, Nodes, call

CLIENTS = 4
PER_CLIENT = 150
MAX_FEE, TIP = 50 * 10**9, 10**9
RECIPIENT = "0x" + "22" * 20
RECEIPT_WAIT = 3.0
EXAMPLES = 5


@dataclass
class KillResult:
    rounds: int = 0
    kills: int = 0
    answered: int = 0
    lost_hashes: list[str] = field(default_factory=list)
    lost_receipts: list[str] = field(default_factory=list)
    final_lost: int = 0
    tracebacks: list[str] = field(default_factory=list)
    restart_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _signed(port: int, key: str, chain_id: int, n: int) -> list[str]:
    address = Account.from_key(key).address
    nonce = int(call(port, "eth_getTransactionCount", [address, "pending"], 30), 16)
    base = {"type": 2, "chainId": chain_id, "gas": 21_000, "to": RECIPIENT, "value": 1}
    fees = {"maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP}
    signed = (Account.sign_transaction({**base, **fees, "nonce": nonce + i}, key) for i in range(n))
    return ["0x" + tx.raw_transaction.hex().removeprefix("0x") for tx in signed]


def _client(port: int, raws: list[str], answered: list[str], lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for i, raw in enumerate(raws):
            body = {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw]}
            conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
            reply = json.loads(conn.getresponse().read())
            if "result" in reply:
                with lock:
                    answered.append(reply["result"])
    except (OSError, http.client.HTTPException, ValueError):
        return  # the node was killed: stop sending
    finally:
        conn.close()


def _missing(port: int, hashes: list[str]) -> tuple[list[str], list[str]]:
    """(hashes the node does not know, hashes it knows without a receipt)."""
    lost, no_receipt = [], []
    deadline = time.monotonic() + RECEIPT_WAIT  # one wait for all: a loss is not retried
    for tx_hash in hashes:
        while call(port, "eth_getTransactionReceipt", [tx_hash], 30) is None:
            if time.monotonic() > deadline:
                if call(port, "eth_getTransactionByHash", [tx_hash], 30) is None:
                    lost.append(tx_hash)
                else:
                    no_receipt.append(tx_hash)
                break
            time.sleep(0.1)
    return lost, no_receipt


def _round(node: NodeProcess, rng: random.Random, chain_id: int, result: KillResult) -> list[str]:
    raws = [_signed(node.port, key, chain_id, PER_CLIENT) for key in DEV_KEYS[:CLIENTS]]
    answered: list[str] = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_client, args=(node.port, r, answered, lock), daemon=True)
        for r in raws
    ]
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(0.2, 1.5))
    node.kill9()
    result.kills += 1
    for thread in threads:
        thread.join(timeout=35)
    return answered


def run_kills(nodes: Nodes, rounds: int, seed: int) -> KillResult:
    rng = random.Random(seed)
    result = KillResult()
    started = time.monotonic()
    datadir = str(nodes.datadir("kill9-chain"))
    node = nodes.start("--data-dir", datadir)
    chain_id = int(call(node.port, "eth_chainId", [], 30), 16)
    everything: list[str] = []
    for _ in range(rounds):
        answered = _round(node, rng, chain_id, result)
        result.tracebacks += tracebacks(node.log())
        result.rounds += 1
        result.answered += len(answered)
        everything += answered
        t0 = time.monotonic()
        node = nodes.start("--data-dir", datadir)
        result.restart_seconds.append(time.monotonic() - t0)
        lost, no_receipt = _missing(node.port, answered)
        result.lost_hashes += lost
        result.lost_receipts += no_receipt
    final_lost, final_no_receipt = _missing(node.port, everything)
    result.final_lost = len(final_lost) + len(final_no_receipt)
    node.kill9()
    result.tracebacks += tracebacks(node.log())
    result.seconds = time.monotonic() - started
    return result
