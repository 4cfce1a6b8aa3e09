"""Helpers of the transaction pool tests (no tests here): an in-process node answering JSON-RPC
requests (ogkit/node/chain/txpool.py, admission.py behind it), a dev key's transfers to SINK,
and the fees and gas sizes those tests send."""

from __future__ import annotations

from eth_account import Account
from node_support import DEV_KEYS, InProcessRpc

from ogkit.node import NodeChain, NodeConfig, Rpc

KEY = DEV_KEYS[5]
SENDER = Account.from_key(KEY).address
SINK = "0x1111111111111111111111111111111111111111"
MAX_FEE = 10**11
TIP = 10**9
BLOCK_GAS = 30_029_122
SDK_GAS = 30_000_000
"""What OpenGradient's SDK sends `run_workflow` with."""


class Node(InProcessRpc):
    """JSON-RPC requests to an in-process node."""

    def __init__(self, config: NodeConfig | None = None) -> None:
        self.chain = NodeChain(config or NodeConfig())
        super().__init__(Rpc(self.chain, "test"))

    def raw(self, nonce: int, key: str = KEY, **fields) -> str:
        tx = {
            "chainId": 1337,
            "type": 2,
            "maxFeePerGas": MAX_FEE,
            "maxPriorityFeePerGas": TIP,
            "nonce": nonce,
            "gas": 21_000,
            "to": SINK,
            "value": 5,
            **fields,
        }
        signed = Account.sign_transaction(tx, key).raw_transaction.to_0x_hex()
        return self.call("eth_sendRawTransaction", signed)

    def receipt(self, tx_hash: str) -> dict | None:
        return self.call("eth_getTransactionReceipt", tx_hash)

    def block_of(self, tx_hash: str) -> int:
        return int(self.receipt(tx_hash)["blockNumber"], 16)

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def nonce(self, tag: str, address: str = SENDER) -> int:
        return int(self.call("eth_getTransactionCount", address, tag), 16)

    def close(self) -> None:
        self.chain.close()
