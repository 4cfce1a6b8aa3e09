"""The pending header after an automined block is owed (ogkit/node/chain/pending.py): the
receipt that follows a send is answered without it, the server makes it after that answer,
and anything that reads the pending block before sees exactly the header it would have
seen had it been made at the seal: the next number, on the head, from the head's state."""

from __future__ import annotations

import json
import threading
from itertools import count

from eth.constants import BLANK_ROOT_HASH

from ogkit.node import NodeChain, NodeConfig, Rpc


class Client:
    """In-process JSON-RPC, each call answered the way the HTTP server answers one: a send
    may seal after its answer, and `settle` runs after every response."""

    def __init__(self) -> None:
        self.node = NodeChain(NodeConfig())
        self.rpc = Rpc(self.node, "test")
        self.ids = count(1)
        self.sender = "0x" + self.node.accounts[0].hex()

    def call(self, method: str, *params, settle: bool = True):
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": list(params)}
        ).encode()
        with self.node.sealing_after_response():
            reply = json.loads(self.rpc.handle(body))
        if settle:
            self.node.settle()
        assert "error" not in reply, reply
        return reply["result"]

    def transfer(self, value: int) -> str:
        tx = {"from": self.sender, "to": "0x" + "22" * 20, "value": hex(value)}
        return self.call("eth_sendTransaction", tx)


def test_the_receipt_is_answered_before_the_pending_header_is_made():
    c = Client()
    try:
        chain = c.node.chain
        tx_hash = c.transfer(1)  # sealed after its answer: the next header is owed
        head = c.node.blocks.head
        assert chain.owed_parent() == head
        receipt = c.call("eth_getTransactionReceipt", tx_hash, settle=False)
        assert receipt["blockHash"] == "0x" + head.hash.hex()
        assert chain.owed_parent() == head  # the receipt did not need it
        c.node.settle()  # after the receipt's answer
        assert chain.owed_parent() is None
        pending = chain.header
        assert pending.parent_hash == head.hash
        assert pending.block_number == head.block_number + 1
        assert pending.state_root == head.state_root
        assert pending.transaction_root == BLANK_ROOT_HASH
        assert pending.gas_limit == head.gas_limit
    finally:
        c.node.close()


def test_a_read_of_the_pending_block_makes_the_owed_header_once():
    c = Client()
    try:
        chain = c.node.chain
        before = int(c.call("eth_getTransactionCount", c.sender, "latest"), 16)
        c.transfer(1)
        head = c.node.blocks.head
        assert chain.owed_parent() == head
        assert c.node.blocks.pending_has_txs() is False  # answered without making it
        assert chain.owed_parent() == head
        block = c.call("eth_getBlockByNumber", "pending", False, settle=False)
        assert int(block["number"], 16) == head.block_number + 1
        assert block["parentHash"] == "0x" + head.hash.hex()
        assert chain.owed_parent() is None
        made = chain.header
        c.node.settle()
        assert chain.header is made  # made once: its PREVRANDAO stays
        assert int(c.call("eth_getTransactionCount", c.sender, "pending"), 16) == before + 1
    finally:
        c.node.close()


def test_transactions_after_an_owed_header_run_on_it():
    c = Client()
    try:
        hashes = [c.transfer(value) for value in (1, 2, 3)]  # no read between the sends
        receipts = [c.call("eth_getTransactionReceipt", h) for h in hashes]
        numbers = [int(r["blockNumber"], 16) for r in receipts]
        assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
        blocks = [c.call("eth_getBlockByNumber", hex(n), False) for n in numbers]
        for parent, child in zip(blocks, blocks[1:], strict=False):
            assert child["parentHash"] == parent["hash"]
            assert int(child["timestamp"], 16) > int(parent["timestamp"], 16)
        assert [r["status"] for r in receipts] == ["0x1"] * 3
        assert [int(r["gasUsed"], 16) for r in receipts] == [21_000] * 3
    finally:
        c.node.close()


def test_a_read_that_skips_the_lock_does_not_wait_for_the_owed_header():
    """While another thread holds the lock for a call (`reads_only`), a balance read at
    "latest" runs without it: it reads the owed header's state (its parent's), not waiting."""
    c = Client()
    try:
        c.transfer(5)
        owed = c.node.chain.owed_parent()
        assert owed is not None
        lock, held, release = c.node.lock, threading.Event(), threading.Event()

        def hold() -> None:
            with lock, lock.reads_only():
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            assert held.wait(10)
            balance = c.call("eth_getBalance", "0x" + "22" * 20, "latest", settle=False)
            assert int(balance, 16) == 5
            assert c.node.chain.owed_parent() is owed  # read without making it
        finally:
            release.set()
            holder.join(10)
    finally:
        c.node.close()


def test_a_vm_made_ahead_is_dropped_when_the_pending_block_changes():
    """After a response the server makes the next transaction's VM ahead; a dev change to
    the pending block (a balance, the next timestamp) replaces the header, and the next
    transaction must run on the new one, not in the VM made for the old."""
    c = Client()
    try:
        chain = c.node.chain
        target = "0x" + "33" * 20
        c.transfer(1)  # its block sealed after the answer
        c.call("eth_blockNumber")  # after this answer: the header and its VM made ahead
        assert chain.owed_parent() is None and chain._prepared is not None
        made_ahead = chain._prepared
        c.call("anvil_setBalance", target, hex(10**18), settle=False)
        assert chain._prepared is None  # replacing the header drops it
        c.node.settle()  # after the answer: made again, for the new header
        assert chain._prepared is not made_ahead and chain._prepared[0] is chain.header
        tx = {"from": c.sender, "to": target, "value": "0x7"}
        c.call("eth_sendTransaction", tx)
        assert int(c.call("eth_getBalance", target, "latest"), 16) == 10**18 + 7

        c.call("eth_blockNumber")
        assert chain._prepared is not None
        head = c.node.blocks.head
        c.call("evm_setNextBlockTimestamp", hex(head.timestamp + 1000), settle=False)
        assert chain._prepared is None
        tx_hash = c.transfer(1)
        number = c.call("eth_getTransactionReceipt", tx_hash)["blockNumber"]
        block = c.call("eth_getBlockByNumber", number, False)
        assert int(block["timestamp"], 16) == head.timestamp + 1000
    finally:
        c.node.close()
