"""The node's shortcuts for the common path answer exactly what a full read would, across
head changes: the head header stands in for a database read of the block at its number
(a receipt of the block just sealed, a block by number), so a head that `evm_revert` or
`debug_setHead` moved must never answer from the old one."""

from __future__ import annotations

import json
from itertools import count

from ogkit.node import NodeChain, NodeConfig, Rpc


class Client:
    def __init__(self) -> None:
        self.node = NodeChain(NodeConfig())
        self.rpc = Rpc(self.node, "test")
        self.ids = count(1)
        self.sender = "0x" + self.node.accounts[0].hex()

    def call(self, method: str, *params):
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": list(params)}
        ).encode()
        reply = json.loads(self.rpc.handle(body))
        assert "error" not in reply, reply
        return reply["result"]

    def transfer(self, value: int) -> str:
        tx = {"from": self.sender, "to": "0x" + "22" * 20, "value": hex(value)}
        return self.call("eth_sendTransaction", tx)

    def number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)


def test_receipts_and_blocks_at_the_head_follow_evm_revert_and_set_head():
    c = Client()
    try:
        start = c.number()
        snapshot = c.call("evm_snapshot")
        first = c.transfer(1)
        receipt = c.call("eth_getTransactionReceipt", first)
        block = c.call("eth_getBlockByNumber", hex(start + 1), False)
        assert int(receipt["blockNumber"], 16) == start + 1
        assert receipt["blockHash"] == block["hash"] and block["transactions"] == [first]

        assert c.call("evm_revert", snapshot) is True
        assert c.number() == start
        assert c.call("eth_getTransactionReceipt", first) is None
        assert c.call("eth_getBlockByNumber", hex(start + 1), False) is None

        second = c.transfer(2)  # a different block at the same number
        receipt = c.call("eth_getTransactionReceipt", second)
        block = c.call("eth_getBlockByNumber", hex(start + 1), False)
        assert receipt["blockHash"] == block["hash"] and block["transactions"] == [second]
        assert c.call("eth_getTransactionReceipt", first) is None
        assert c.call("eth_getTransactionByHash", second)["blockHash"] == block["hash"]

        c.call("debug_setHead", hex(start))
        assert c.number() == start
        assert c.call("eth_getTransactionReceipt", second) is None
        assert c.call("eth_getBlockByNumber", hex(start + 1), False) is None
        third = c.transfer(3)
        latest = c.call("eth_getBlockByNumber", "latest", False)
        assert c.call("eth_getTransactionReceipt", third)["blockHash"] == latest["hash"]
        head = c.call("eth_getBlockByNumber", hex(start), False)
        assert head["hash"] == latest["parentHash"]
    finally:
        c.node.close()
