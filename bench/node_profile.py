"""Where `ogkit node`'s time goes per transaction, without HTTP and without a client: (b)
transactions handled in-process by the node's JSON-RPC layer (`Rpc.handle` on request
bodies), timed, then under cProfile, summed per phase and listed by own time."""

from __future__ import annotations

import node_setup  # noqa: F401 - first: env defaults before ogkit loads

# isort: split

import cProfile
import json
import pstats
import time
from pathlib import Path

from eth_account import Account
from node_setup import GAS, KEYS, MAX_FEE, PROFILE_TXS, TIP
from web3 import Web3

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


class InProcess:
    """A node chain and its JSON-RPC layer in this process, driven with request bodies."""

    def __init__(self) -> None:
        from ogkit.node import NodeChain, NodeConfig, Rpc

        self.node = NodeChain(NodeConfig())
        self.rpc = Rpc(self.node, "bench", lambda line: None)  # logging on, to a sink
        self.ids = iter(range(1, 1 << 30))

    def call(self, method: str, *params) -> object:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": list(params)}
        ).encode()
        reply = json.loads(self.rpc.handle(body))
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def deploy(self, key: str, bytecode: str, nonce: int) -> str:
        """The contract's address, once its creation is mined."""
        deploy_tx = Account.sign_transaction(
            {
                "type": 2,
                "chainId": self.node.chain_id,
                "nonce": nonce,
                "gas": 3_000_000,
                "maxFeePerGas": MAX_FEE,
                "maxPriorityFeePerGas": TIP,
                "data": bytecode,
            },
            key,
        )
        self.call("eth_sendRawTransaction", deploy_tx.raw_transaction.to_0x_hex())
        return Web3.to_checksum_address(
            self.call("eth_getTransactionReceipt", deploy_tx.hash.to_0x_hex())["contractAddress"]
        )

    def bodies(self, key: str, to: str, data: str, n: int, start: int) -> list[tuple[bytes, bytes]]:
        """(send, receipt) request bodies of n calls signed with nonces from `start`."""
        out = []
        for i in range(n):
            tx = Account.sign_transaction(
                {
                    "type": 2,
                    "chainId": self.node.chain_id,
                    "nonce": start + i,
                    "gas": GAS["call"],
                    "maxFeePerGas": MAX_FEE,
                    "maxPriorityFeePerGas": TIP,
                    "to": to,
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

    def drive(self, batch: list[tuple[bytes, bytes]]) -> list[tuple[float, float]]:
        """Seconds per (send, receipt) of each transaction."""
        times = []
        for send, receipt in batch:
            t0 = time.perf_counter()
            self.rpc.handle(send)
            t1 = time.perf_counter()
            assert b'"status":"0x1"' in self.rpc.handle(receipt)
            times.append((t1 - t0, time.perf_counter() - t1))
        return times


def profile_in_process(artifacts: dict) -> dict:
    """The node's own work per transaction, without HTTP and without a client."""
    here = InProcess()
    key = KEYS["call"]
    address = Account.from_key(key).address
    nonce = int(here.call("eth_getTransactionCount", address, "latest"), 16)
    abi, bytecode = artifacts["BenchCounter"]
    created = here.deploy(key, bytecode, nonce)
    data = Web3().eth.contract(abi=abi).encode_abi("increment", [])
    nonce += 1
    here.drive(here.bodies(key, created, data, 30, nonce))
    nonce += 30
    timed = here.drive(here.bodies(key, created, data, PROFILE_TXS, nonce))
    nonce += PROFILE_TXS
    batch = here.bodies(key, created, data, PROFILE_TXS, nonce)
    prof = cProfile.Profile()
    prof.enable()
    here.drive(batch)
    prof.disable()
    here.node.close()
    st = pstats.Stats(prof)
    return {
        "send_ms": [t[0] * 1e3 for t in timed],
        "receipt_ms": [t[1] * 1e3 for t in timed],
        "profiled_ms_per_tx": st.total_tt * 1e3 / PROFILE_TXS,
        "phases": phase_times(st),
        "hot": hottest(st),
    }


def phase_times(st: pstats.Stats) -> list[tuple[str, float]]:
    """Cumulative ms per transaction of each of PHASES."""
    phases = []
    for label, suffix, name in PHASES:
        total = sum(
            ct
            for (path, _, func), (_, _, _, ct, _) in st.stats.items()
            if func == name and path.endswith(suffix)
        )
        phases.append((label, total * 1e3 / PROFILE_TXS))
    return phases


def hottest(st: pstats.Stats) -> list[tuple[str, float, float]]:
    """The 12 functions with the most own time: ms and calls per transaction."""
    top = sorted(st.stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    return [
        (f"{Path(path).name}:{line} `{func}`", tt * 1e3 / PROFILE_TXS, nc / PROFILE_TXS)
        for (path, line, func), (_, nc, tt, _, _) in top
    ]
