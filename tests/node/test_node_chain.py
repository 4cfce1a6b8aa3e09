"""`NodeChain` in-process: automine's one-VM path seals the same blocks as the general path.

With automine a transaction and its block are applied and sealed in one VM (mining.py,
`Miner._seal_alone`); with automine off the transaction goes into the pending block and
`evm_mine` seals it (`MiningChain.apply_transaction` + `mine_block`). The same transactions
at the same timestamps must give the same state, transaction and receipt roots, blooms and
gas; and what the node serves from its caches must equal what it reads back from storage.
"""

from __future__ import annotations

import json
from itertools import count

import pytest
from eth_account import Account
from node_support import DEV_KEYS
from web3 import Web3

from ogkit.node import NodeChain, NodeConfig, Rpc

RUNTIME = bytes.fromhex("600160005401600055600160006000a100")
"""slot0 += 1; LOG1(topic 1); STOP."""
REVERTS = bytes.fromhex("60006000fd")
START = 2_000_000_000


def _initcode(runtime: bytes) -> bytes:
    """PUSHn runtime; MSTORE at 0; RETURN its n bytes from the word's end."""
    n = len(runtime)
    return bytes([0x5F + n]) + runtime + bytes([0x60, 0, 0x52, 0x60, n, 0x60, 32 - n, 0xF3])


class Driver:
    def __init__(self, automine: bool) -> None:
        self.node = NodeChain(NodeConfig())
        self.rpc = Rpc(self.node, "test")
        self.ids = count(1)
        self.automine = automine
        self.timestamp = START
        if not automine:
            self.call("evm_setAutomine", False)

    def call(self, method: str, *params):
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": list(params)}
        ).encode()
        reply = json.loads(self.rpc.handle(body))
        assert "error" not in reply, reply
        return reply["result"]

    def next_block(self) -> None:
        self.timestamp += 12
        self.call("evm_setNextBlockTimestamp", hex(self.timestamp))

    def sealed(self) -> None:
        if not self.automine:
            self.call("evm_mine")

    def raw(self, key: str, **tx) -> str:
        self.next_block()
        signed = Account.sign_transaction(
            {
                "chainId": 1337,
                "type": 2,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**9,
                **tx,
            },
            key,
        )
        tx_hash = self.call("eth_sendRawTransaction", signed.raw_transaction.to_0x_hex())
        self.sealed()
        return tx_hash

    def send(self, **tx) -> str:
        self.next_block()
        tx_hash = self.call("eth_sendTransaction", tx)
        self.sealed()
        return tx_hash


def drive(automine: bool) -> Driver:
    d = Driver(automine)
    key = DEV_KEYS[3]
    d.raw(key, nonce=0, to="0x" + "11" * 20, value=5, gas=21_000)
    created = d.call(
        "eth_getTransactionReceipt", d.raw(key, nonce=1, gas=200_000, data=_initcode(RUNTIME))
    )
    counter = Web3.to_checksum_address(created["contractAddress"])
    assert d.call("eth_getCode", counter, "latest") == "0x" + RUNTIME.hex()
    for nonce in (2, 3):
        d.raw(key, nonce=nonce, to=counter, gas=100_000)
    d.raw(key, nonce=4, to="0x" + "00" * 20, gas=21_000, maxPriorityFeePerGas=0)
    reverting = Web3.to_checksum_address("0x" + "ee" * 20)
    d.call("anvil_setCode", reverting, "0x" + REVERTS.hex())
    failed = d.raw(key, nonce=5, to=reverting, gas=50_000)
    assert d.call("eth_getTransactionReceipt", failed)["status"] == "0x0"
    dev = d.call("eth_accounts")[1]
    d.send(**{"from": dev, "to": counter, "gas": "0x186a0"})  # eth_sendTransaction, type 2
    d.send(**{"from": dev, "to": counter, "gas": "0x186a0", "gasPrice": "0x3b9aca00"})
    whale = "0x" + "77" * 20
    d.call("anvil_setBalance", whale, hex(10**20))
    d.call("anvil_impersonateAccount", whale)
    d.send(**{"from": whale, "to": counter, "gas": "0x186a0"})
    return d


@pytest.fixture(scope="module")
def chains() -> tuple[Driver, Driver]:
    return drive(automine=True), drive(automine=False)


def test_automine_seals_the_same_blocks(chains):
    fast, general = chains
    head = fast.node.head.block_number
    assert head == general.node.head.block_number == 9
    fields = (
        "state_root",
        "transaction_root",
        "receipt_root",
        "bloom",
        "gas_used",
        "base_fee_per_gas",
        "timestamp",
        "gas_limit",
        "coinbase",
    )
    # Genesis takes the wall clock's second, so the two chains' block 0 may differ in
    # timestamp (and so in hash); everything from block 1 on is pinned by the driver.
    genesis = [d.node.chain.get_canonical_block_header_by_number(0) for d in chains]
    assert genesis[0].state_root == genesis[1].state_root
    for number in range(1, head + 1):
        a = fast.node.chain.get_canonical_block_header_by_number(number)
        b = general.node.chain.get_canonical_block_header_by_number(number)
        for name in fields:
            assert getattr(a, name) == getattr(b, name), (number, name)


def test_cached_answers_equal_stored_ones(chains):
    for d in chains:
        node = d.node

        def dump(d=d, node=node) -> list:
            out = []
            for number in range(node.head.block_number + 1):
                block = d.call("eth_getBlockByNumber", hex(number), True)
                out.append(block)
                for tx in block["transactions"]:
                    out.append(d.call("eth_getTransactionReceipt", tx["hash"]))
                    out.append(d.call("eth_getTransactionByHash", tx["hash"]))
            return out

        served = dump()
        node._blocks.clear()
        node._receipts.clear()
        node._senders.clear()
        node.forget_head()
        assert dump() == served


def test_prevrandao_is_the_sealed_mix_hash(chains):
    """Transactions run with the mixHash their block shows (a trace re-executes with it)."""
    d = chains[0]
    key = DEV_KEYS[4]
    # PREVRANDAO; PUSH1 0; SSTORE; STOP
    code = "0x" + "44600055" + "00"
    target = Web3.to_checksum_address("0x" + "ab" * 20)
    d.call("anvil_setCode", target, code)
    tx_hash = d.raw(key, nonce=0, to=target, gas=60_000)
    receipt = d.call("eth_getTransactionReceipt", tx_hash)
    block = d.call("eth_getBlockByNumber", receipt["blockNumber"], False)
    assert d.call("eth_getStorageAt", target, "0x0", "latest") == block["mixHash"]


def test_trace_without_a_recorded_pre_state():
    """A transaction mined before pre-states were kept is traced by replaying its block."""
    from ogkit.chain.callframes import TraceOptions
    from ogkit.node.chain.mining import PRESTATE_KEY

    d = Driver(automine=False)
    key = DEV_KEYS[2]
    created = d.call(
        "eth_getTransactionReceipt", d.raw(key, nonce=0, gas=200_000, data=_initcode(RUNTIME))
    )
    counter = Web3.to_checksum_address(created["contractAddress"])
    d.next_block()
    hashes = []
    for nonce in (1, 2):  # two transactions in one block
        signed = Account.sign_transaction(
            {
                "chainId": 1337,
                "type": 2,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**9,
                "nonce": nonce,
                "to": counter,
                "gas": 100_000,
            },
            key,
        )
        hashes.append(d.call("eth_sendRawTransaction", signed.raw_transaction.to_0x_hex()))
    d.call("evm_mine")
    receipt = d.call("eth_getTransactionReceipt", hashes[1])
    assert receipt["transactionIndex"] == "0x1"
    options = TraceOptions(with_log=True)
    tx_hash = bytes.fromhex(hashes[1][2:])
    recorded = d.node.trace_transaction(tx_hash, options)
    del d.node.db[PRESTATE_KEY + tx_hash]
    replayed = d.node.trace_transaction(tx_hash, options)
    assert replayed == recorded
    assert int(recorded["gasUsed"], 16) == int(receipt["gasUsed"], 16)
    assert recorded["logs"][0]["topics"] == ["0x" + "00" * 31 + "01"]


def test_a_sent_transaction_is_sealed_for_every_later_request():
    """Over HTTP the block is sealed after the answer is written; no later request, on any
    connection, may see the chain without it (the node's lock seals it first)."""
    import http.client

    from ogkit.node import Node

    node = Node(NodeConfig(), port=0, quiet=True)
    node.start()
    try:
        sender, reader = (
            http.client.HTTPConnection("127.0.0.1", node.port, timeout=60) for _ in range(2)
        )

        def rpc(conn: http.client.HTTPConnection, method: str, *params):
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            reply = json.loads(conn.getresponse().read())
            assert "error" not in reply, reply
            return reply["result"]

        key = DEV_KEYS[5]
        for nonce in range(40):
            signed = Account.sign_transaction(
                {
                    "chainId": 1337,
                    "type": 2,
                    "maxFeePerGas": 10**11,
                    "maxPriorityFeePerGas": 10**9,
                    "nonce": nonce,
                    "to": "0x" + "22" * 20,
                    "value": 1,
                    "gas": 21_000,
                },
                key,
            )
            tx_hash = rpc(sender, "eth_sendRawTransaction", signed.raw_transaction.to_0x_hex())
            receipt = rpc(reader, "eth_getTransactionReceipt", tx_hash)
            assert receipt is not None and int(receipt["blockNumber"], 16) == nonce + 1
            assert int(rpc(reader, "eth_blockNumber"), 16) == nonce + 1
        # a batch sees its own transaction mined at once
        signed = Account.sign_transaction(
            {
                "chainId": 1337,
                "type": 2,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**9,
                "nonce": 40,
                "to": "0x" + "22" * 20,
                "value": 1,
                "gas": 21_000,
            },
            key,
        )
        batch = json.dumps(
            [
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_sendRawTransaction",
                    "params": [signed.raw_transaction.to_0x_hex()],
                },
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "eth_getTransactionReceipt",
                    "params": [signed.hash.to_0x_hex()],
                },
            ]
        )
        sender.request("POST", "/", batch, {"Content-Type": "application/json"})
        first, second = json.loads(sender.getresponse().read())
        assert second["result"]["transactionHash"] == first["result"]
    finally:
        node.stop()


def test_inference_records_follow_evm_revert_and_set_head():
    """A record of a block that `evm_revert` or `debug_setHead` removed leaves the record
    book, so the settlement service never settles it (the price feed's records go the same
    way: tests/node/test_price_feed_node.py)."""
    from ogkit.inference.records import InferenceRecord, SettlementState
    from precompiles.inference.types import ModelInferenceMode

    node = NodeChain(NodeConfig())
    book = node.inference.book

    def record(n: int, block: int) -> InferenceRecord:
        return book.put(
            InferenceRecord(
                inference_id=f"{n:064x}",
                model_hash=b"\x01" * 32,
                input_hash=b"\x02" * 32,
                output_hash=b"\x03" * 32,
                mode=ModelInferenceMode.ZK,
                block_number=block,
                state=SettlementState.PENDING,
            )
        )

    try:
        start = node.block_number()
        snapshot = node.snapshot()
        kept, reverted = record(0xA, start), record(1, start + 1)
        node.mine(2)
        assert node.revert(snapshot) is True
        assert book.get(reverted.key) is None and book.get(kept.key) is kept
        reset = record(2, start + 1)
        node.mine(1)
        node.set_head(start)
        assert book.get(reset.key) is None and book.get(kept.key) is kept
        book.remove(kept.key)
    finally:
        node.close()
