"""The node's transaction pool, in-process (ogkit/node/chain/txpool.py, admission.py).

A transaction whose nonce is ahead of its sender's next waits ("queued") and runs when the
gap fills, in nonce order; one that fits the block gas limit but not what is left of the
pending block waits for the next block. `txpool_content`/`txpool_status`/`txpool_inspect`
answer in geth's shapes, `anvil_dropTransaction` drops, the pool has bounds, and every
waiting transaction is stored, so a restart loses none.
"""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path

import pytest
from eth_account import Account
from node_support import DEV_KEYS
from web3 import Web3

from ogkit.node import NodeChain, NodeConfig, Rpc

KEY = DEV_KEYS[5]
SENDER = Account.from_key(KEY).address
SINK = "0x1111111111111111111111111111111111111111"
MAX_FEE = 10**11
TIP = 10**9
BLOCK_GAS = 30_029_122
SDK_GAS = 30_000_000
"""What OpenGradient's SDK sends `run_workflow` with."""


class RpcRefusal(Exception):
    def __init__(self, error: dict) -> None:
        super().__init__(error["message"])
        self.code = error["code"]
        self.message = error["message"]


class Node:
    """JSON-RPC requests to an in-process node."""

    def __init__(self, config: NodeConfig | None = None) -> None:
        self.chain = NodeChain(config or NodeConfig())
        self.rpc = Rpc(self.chain, "test")
        self.ids = count(1)

    def call(self, method: str, *params):
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": list(params)}
        ).encode()
        reply = json.loads(self.rpc.handle(body))
        if "error" in reply:
            raise RpcRefusal(reply["error"])
        return reply["result"]

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


def stored_pool(node: Node) -> list[tuple[bytes, bytes]]:
    return node.chain.db.items_with_prefix(b"ogkit:pool:")


@pytest.fixture
def node():
    n = Node()
    yield n
    n.close()


@pytest.fixture
def manual():
    """Automine off: blocks are sealed by `evm_mine` only."""
    n = Node()
    n.call("evm_setAutomine", False)
    yield n
    n.close()


def test_a_nonce_gap_waits_then_runs_in_nonce_order(node):
    head = node.head()
    later = node.raw(2)
    early = node.raw(1)
    assert node.head() == head
    assert node.receipt(later) is None and node.receipt(early) is None
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x2"}
    waiting = node.call("eth_getTransactionByHash", later)
    assert (waiting["blockNumber"], waiting["blockHash"], waiting["transactionIndex"]) == (
        None,
        None,
        None,
    )
    assert (waiting["hash"], waiting["nonce"], waiting["from"]) == (later, "0x2", SENDER.lower())
    assert node.nonce("pending") == node.nonce("latest") == 0

    first = node.raw(0)  # fills the gap: automine seals each in a block of its own
    assert [node.block_of(h) for h in (first, early, later)] == [head + 1, head + 2, head + 3]
    assert [node.receipt(h)["status"] for h in (first, early, later)] == ["0x1"] * 3
    blocks = [node.call("eth_getBlockByNumber", hex(head + i), False) for i in (1, 2, 3)]
    assert [b["transactions"] for b in blocks] == [[first], [early], [later]]
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert node.nonce("latest") == node.nonce("pending") == 3
    assert node.call("eth_getBalance", SINK, "latest") == hex(15)


def test_txpool_content_and_inspect_in_geths_shapes(node):
    queued = node.raw(3, value=7)
    content = node.call("txpool_content")
    assert content == {
        "pending": {},
        "queued": {SENDER: {"3": node.call("eth_getTransactionByHash", queued)}},
    }
    tx = content["queued"][SENDER]["3"]
    assert (tx["to"], tx["value"], tx["gas"], tx["gasPrice"]) == (
        SINK.lower(),
        "0x7",
        hex(21_000),
        hex(MAX_FEE),
    )
    created = node.raw(4, to=None, value=0, gas=60_000, data="0x00")
    assert node.call("txpool_inspect") == {
        "pending": {},
        "queued": {
            SENDER: {
                "3": f"{SINK}: 7 wei + 21000 gas × {MAX_FEE} wei",
                "4": f"contract creation: 0 wei + 60000 gas × {MAX_FEE} wei",
            }
        },
    }
    assert node.call("anvil_dropTransaction", created) == created


def test_pending_holds_the_pending_block_and_what_follows_without_a_gap(manual):
    a = manual.raw(0, gas=200_000, data="0x" + "01" * 2_000)  # uses more than 29,122
    c = manual.raw(2)
    other = Account.from_key(DEV_KEYS[4]).address
    d = manual.raw(0, key=DEV_KEYS[4], gas=SDK_GAS)  # does not fit beside `a`: waits
    assert manual.call("txpool_status") == {"pending": "0x2", "queued": "0x1"}
    content = manual.call("txpool_content")
    assert {s: sorted(txs) for s, txs in content["pending"].items()} == {
        SENDER: ["0"],
        other: ["0"],
    }
    assert content["pending"][SENDER]["0"]["hash"] == a
    assert content["pending"][other]["0"]["hash"] == d
    assert content["queued"] == {SENDER: {"2": manual.call("eth_getTransactionByHash", c)}}
    assert manual.nonce("pending") == 1 and manual.nonce("pending", other) == 1
    assert manual.nonce("latest", other) == 0

    b = manual.raw(1)  # fills the gap: b and c go into the pending block beside a
    assert manual.call("txpool_status") == {"pending": "0x4", "queued": "0x0"}
    assert manual.nonce("pending") == 3
    manual.call("evm_mine")
    head = manual.head()
    assert manual.call("eth_getBlockByNumber", hex(head), False)["transactions"] == [a, b, c]
    assert manual.receipt(d) is None
    manual.call("evm_mine")
    assert manual.block_of(d) == head + 1


def test_two_sdk_sized_transactions_in_one_block_time_go_in_consecutive_blocks(manual):
    """The issue's refusal: `exceeds block gas limit: ... using 30000000, bringing total to
    30262256, but limit is 30029122`. The second now waits for the next block."""
    assert int(manual.call("eth_getBlockByNumber", "latest", False)["gasLimit"], 16) == BLOCK_GAS
    first = manual.raw(0, gas=SDK_GAS, data="0x" + "01" * 2_000)  # uses more than 29,122
    second = manual.raw(1, gas=SDK_GAS, data="0x" + "01" * 2_000)
    third = manual.raw(0, key=DEV_KEYS[4], gas=SDK_GAS)
    assert manual.nonce("pending") == 2
    assert manual.call("txpool_status") == {"pending": "0x3", "queued": "0x0"}
    manual.call("evm_mine")
    head = manual.head()
    manual.call("evm_mine")
    manual.call("evm_mine")
    assert [manual.block_of(h) for h in (first, second, third)] == [head, head + 1, head + 2]
    assert [manual.receipt(h)["status"] for h in (first, second, third)] == ["0x1"] * 3
    for number in (head, head + 1, head + 2):
        block = manual.call("eth_getBlockByNumber", hex(number), False)
        assert int(block["gasUsed"], 16) <= int(block["gasLimit"], 16) == BLOCK_GAS


def test_above_the_block_gas_limit_is_still_refused(manual):
    manual.raw(0, gas=SDK_GAS)
    with pytest.raises(RpcRefusal, match="exceeds block gas limit: using 30029123"):
        manual.raw(1, gas=BLOCK_GAS + 1)
    with pytest.raises(RpcRefusal, match="exceeds block gas limit"):
        manual.raw(0, key=DEV_KEYS[4], gas=BLOCK_GAS + 1)


def test_eth_send_transaction_takes_the_pending_nonce(manual):
    dev = manual.call("eth_accounts")[2]
    big = {"from": dev, "to": SINK, "gas": hex(SDK_GAS), "data": "0x" + "01" * 2_000}
    first = manual.call("eth_sendTransaction", big)
    second = manual.call("eth_sendTransaction", {"from": dev, "to": SINK, "gas": hex(SDK_GAS)})
    assert manual.call("eth_getTransactionByHash", second)["nonce"] == "0x1"
    assert manual.nonce("pending", dev) == 2
    manual.call("evm_mine", {"blocks": 2})
    assert manual.block_of(second) == manual.block_of(first) + 1


def test_drop_transaction(node):
    head = node.head()
    one = node.raw(1)
    two = node.raw(2)
    assert node.call("anvil_dropTransaction", one) == one
    assert node.call("anvil_dropTransaction", one) is None
    assert node.call("eth_getTransactionByHash", one) is None
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    node.raw(0)  # two still waits: nonce 1 is missing again
    assert node.receipt(two) is None and node.head() == head + 1
    three = node.raw(3, key=DEV_KEYS[4])
    other = Account.from_key(DEV_KEYS[4]).address
    assert node.call("txpool_contentFrom", other) == {
        "pending": {},
        "queued": {"3": node.call("eth_getTransactionByHash", three)},
    }
    assert node.call("anvil_removePoolTransactions", other) is None
    assert node.call("txpool_contentFrom", other) == {"pending": {}, "queued": {}}
    assert node.call("txpool_contentFrom", SENDER)["queued"]["2"]["hash"] == two
    assert node.call("anvil_dropAllTransactions") is None
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert node.call("eth_getTransactionByHash", two) is None


def test_dropping_a_pending_block_transaction_makes_the_block_again(manual):
    """As anvil: with automine off a sent transaction waits to be mined, and can be dropped.
    The sender's later ones then have a nonce gap and wait, queued."""
    rich = "0x" + "77" * 20
    manual.call("anvil_setBalance", rich, hex(10**20))  # dev state before: kept
    manual.call("evm_setNextBlockTimestamp", hex(4_000_000_000))
    a = manual.raw(0)
    b = manual.raw(1)
    x = manual.raw(0, key=DEV_KEYS[4], to=rich, value=7)
    assert manual.call("anvil_dropTransaction", a) == a
    assert manual.call("eth_getTransactionByHash", a) is None
    stored = {"0x" + key[len(b"ogkit:pool:") :].hex() for key, _ in stored_pool(manual)}
    assert stored == {b, x}  # what a restart would take up again
    assert manual.call("txpool_status") == {"pending": "0x1", "queued": "0x1"}
    assert manual.call("txpool_content")["queued"][SENDER]["1"]["hash"] == b
    assert manual.nonce("pending") == 0
    manual.call("evm_mine")
    head = manual.call("eth_getBlockByNumber", "latest", False)
    assert head["transactions"] == [x] and head["timestamp"] == hex(4_000_000_000)
    assert manual.call("eth_getBalance", rich, "latest") == hex(10**20 + 7)
    again = manual.raw(0, value=6)
    manual.call("evm_mine")
    block = manual.call("eth_getBlockByNumber", "latest", False)
    assert block["transactions"] == [again, b]
    assert manual.call("anvil_dropTransaction", again) is None  # mined: nothing to drop


def test_replacing_a_waiting_transaction_needs_ten_percent_more(node):
    old = node.raw(1)
    with pytest.raises(RpcRefusal, match="replacement transaction underpriced") as refused:
        node.raw(1, maxFeePerGas=MAX_FEE * 109 // 100, maxPriorityFeePerGas=TIP * 2)
    assert refused.value.code == -32000
    with pytest.raises(RpcRefusal, match="replacement transaction underpriced"):
        node.raw(1, maxFeePerGas=MAX_FEE * 2, maxPriorityFeePerGas=TIP * 109 // 100)
    new = node.raw(1, maxFeePerGas=MAX_FEE * 110 // 100, maxPriorityFeePerGas=TIP * 110 // 100)
    assert node.call("eth_getTransactionByHash", old) is None
    assert node.call("txpool_content")["queued"][SENDER]["1"]["hash"] == new
    with pytest.raises(RpcRefusal, match="already known"):
        node.call(
            "eth_sendRawTransaction",
            Account.sign_transaction(
                {
                    "chainId": 1337,
                    "type": 2,
                    "maxFeePerGas": MAX_FEE * 110 // 100,
                    "maxPriorityFeePerGas": TIP * 110 // 100,
                    "nonce": 1,
                    "gas": 21_000,
                    "to": SINK,
                    "value": 5,
                },
                KEY,
            ).raw_transaction.to_0x_hex(),
        )
    node.raw(0)
    assert node.receipt(new)["status"] == "0x1" and node.receipt(old) is None


def test_a_waiting_transaction_is_checked_like_one_that_runs(node):
    """py-evm stops at the nonce; what it checks after it (EIP-7623's floor) is checked too:
    a transaction with a nonce gap is refused in the same words as the next-nonce one."""
    bad = [
        ({"gas": 30_000, "data": "0x" + "01" * 1_000}, "insufficient gas for floor data gas"),
        ({"gas": 20_000}, "minimum needed 21000"),
        ({"value": 10**30}, "insufficient funds for gas * price + value"),
        ({"maxFeePerGas": 1, "maxPriorityFeePerGas": 1}, "max fee per gas less than block base"),
    ]
    for fields, words in bad:
        refusals = []
        for nonce in (0, 1):
            with pytest.raises(RpcRefusal) as refused:
                node.raw(nonce, **fields)
            refusals.append((refused.value.code, refused.value.message))
        assert refusals[0] == refusals[1] and words in refusals[0][1], refusals
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_a_legacy_replacement_pays_ten_percent_more_gas_price(node):
    def legacy(price: int) -> str:
        tx = {"chainId": 1337, "nonce": 1, "gas": 21_000, "to": SINK, "value": 0}
        signed = Account.sign_transaction({**tx, "gasPrice": price}, KEY)
        return node.call("eth_sendRawTransaction", signed.raw_transaction.to_0x_hex())

    legacy(10**10)
    with pytest.raises(RpcRefusal, match="replacement transaction underpriced"):
        legacy(10**10 * 109 // 100)
    replacement = legacy(10**10 * 110 // 100)
    assert node.call("txpool_inspect")["queued"][SENDER]["1"] == (
        f"{SINK}: 0 wei + 21000 gas × {10**10 * 110 // 100} wei"
    )
    node.raw(0)
    assert node.receipt(replacement)["status"] == "0x1"


def test_the_pool_is_bounded(node):
    pool = node.chain.txpool
    assert (pool.max_per_sender, pool.max_total, pool.max_nonce_gap) == (64, 1024, 256)
    with pytest.raises(RpcRefusal, match="nonce too high: next nonce 0, tx nonce 256") as gap:
        node.raw(256)
    assert gap.value.code == -32000
    node.raw(255)  # the farthest one allowed
    pool.max_per_sender, pool.max_total = 3, 5
    node.raw(1)
    node.raw(2)
    with pytest.raises(RpcRefusal, match=f"account limit exceeded: 3 transactions of {SENDER}"):
        node.raw(3)
    node.raw(2, maxFeePerGas=MAX_FEE * 2, maxPriorityFeePerGas=TIP * 2)  # a replacement fits
    node.raw(1, key=DEV_KEYS[4])
    node.raw(2, key=DEV_KEYS[4])
    with pytest.raises(RpcRefusal, match="txpool is full: 5 transactions wait already"):
        node.raw(1, key=DEV_KEYS[3])
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x5"}
    assert node.head() == 0  # the node goes on
    first = node.raw(0, key=DEV_KEYS[4])  # a sender's next nonce is never refused for bounds
    assert node.head() == 3 and node.block_of(first) == 1
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x3"}


def test_a_waiting_transaction_that_cannot_run_waits_until_it_can(node):
    """Its sender could pay when it came; the transaction before it spent the funds."""
    poor = Account.create()
    node.call("anvil_setBalance", poor.address, hex(21_000 * MAX_FEE + 5))
    later = node.raw(1, key=poor.key.hex())
    first = node.raw(0, key=poor.key.hex())
    assert node.receipt(first)["status"] == "0x1" and node.receipt(later) is None
    assert node.call("txpool_status") == {"pending": "0x1", "queued": "0x0"}
    node.call("anvil_setBalance", poor.address, hex(10**18))
    node.call("evm_mine")  # retried at each new block
    assert node.receipt(later)["status"] == "0x1"
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_waiting_and_pending_block_transactions_survive_a_restart(tmp_path: Path):
    config = NodeConfig(data_dir=tmp_path / "data", block_time=3600.0)  # no miner thread here
    node = Node(config)
    pending = node.raw(0)
    queued = node.raw(2)
    impersonated = "0x" + "77" * 20
    node.call("anvil_setBalance", impersonated, hex(10**20))
    node.call("anvil_impersonateAccount", impersonated)
    spoofed = node.call("eth_sendTransaction", {"from": impersonated, "to": SINK, "nonce": "0x1"})
    before = node.call("txpool_content")
    node.close()

    node = Node(NodeConfig(data_dir=tmp_path / "data", block_time=3600.0))
    assert node.call("txpool_content") == before
    assert node.call("eth_getTransactionByHash", pending)["blockNumber"] is None
    assert node.call("eth_getTransactionByHash", spoofed)["from"] == impersonated.lower()
    missing = node.raw(1)
    node.call("evm_mine")
    head = node.head()
    assert node.call("eth_getBlockByNumber", hex(head), False)["transactions"] == [
        pending,
        missing,
        queued,
    ]
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    node.close()

    node = Node(NodeConfig(data_dir=tmp_path / "data"))  # automine: runs when its gap fills
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    node.call("anvil_impersonateAccount", impersonated)
    node.call("anvil_setBalance", impersonated, hex(10**20))  # dev state of an unsealed block
    filler = node.call("eth_sendTransaction", {"from": impersonated, "to": SINK, "nonce": "0x0"})
    assert node.block_of(spoofed) == node.block_of(filler) + 1 == head + 2
    assert node.receipt(spoofed)["from"] == impersonated.lower()
    node.close()
    reopened = Node(NodeConfig(data_dir=tmp_path / "data"))
    assert stored_pool(reopened) == []  # all sealed: none stored
    reopened.close()


def test_a_queued_transaction_of_another_sender_does_not_slow_automine(node):
    """Over HTTP an automined block is sealed after the answer (ogkit/chain/locking.py); a
    transaction waiting for another sender's gap does not make the node seal before it."""
    waiting = node.raw(1, key=DEV_KEYS[4])
    with node.chain.sealing_after_response():
        sent = node.raw(0)
    assert node.chain.miner._owed is not None  # sealed after the answer, as without a pool
    assert node.receipt(sent)["status"] == "0x1"  # reading it seals it first
    assert node.chain.miner._owed is None
    with node.chain.sealing_after_response():
        node.raw(0, key=DEV_KEYS[4])  # fills the gap: its waiting one runs before the answer
    assert node.chain.miner._owed is None
    assert node.block_of(waiting) == node.head()


def _relu_model() -> bytes:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_a_dropped_neighbour_leaves_an_inference_record_with_its_block(tmp_path: Path):
    """The pending block made again runs its inference again: once mined, the block has one
    record, of the run in it (the first run's was forgotten with the old pending block)."""
    from ogkit.models.store import ModelStore
    from precompiles.addresses import OG_INFERENCE_ADDRESS
    from precompiles.inference.model_codec import encode_model_inference_request
    from precompiles.inference.precompile import RUN_MODEL_INFERENCE
    from precompiles.inference.types import ModelInferenceRequest, ModelInput, NumberTensor

    ModelStore(tmp_path / "store").add(_relu_model(), "relu")
    node = Node(NodeConfig(model_store=tmp_path / "store"))
    try:
        node.call("evm_setAutomine", False)
        tensor = NumberTensor("x", ((1, 0), (-1, 0)), (2,))
        request = ModelInferenceRequest(0, "relu", ModelInput((tensor,)))
        data = "0x" + (RUN_MODEL_INFERENCE + encode_model_inference_request(request)).hex()
        dropped = node.raw(0, key=DEV_KEYS[4])
        to = Web3.to_checksum_address(OG_INFERENCE_ADDRESS)
        inference = node.raw(0, to=to, gas=1_000_000, data=data, value=0)
        assert node.call("ogkit_getBlockInferenceRecords", "pending") == []  # not sealed yet
        assert node.call("anvil_dropTransaction", dropped) == dropped
        node.call("evm_mine")
        receipt = node.receipt(inference)
        assert receipt["status"] == "0x1" and node.receipt(dropped) is None
        records = node.call("ogkit_getBlockInferenceRecords", receipt["blockNumber"])
        assert [(r["transactionHash"], r["modelId"]) for r in records] == [(inference, "relu")]
        record = node.call("ogkit_getInferenceRecord", records[0]["inferenceId"])
        assert record["transactionHash"] == inference
    finally:
        node.close()


def test_turning_automine_on_runs_what_waits_for_room(manual):
    big = manual.raw(0, gas=SDK_GAS, data="0x" + "01" * 2_000)
    waits = manual.raw(1, gas=SDK_GAS)
    head = manual.head()
    manual.call("evm_setAutomine", True)
    assert [manual.block_of(h) for h in (big, waits)] == [head + 1, head + 2]
    assert manual.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_the_pool_outlives_a_revert(node):
    snapshot = node.call("evm_snapshot")
    node.raw(0)
    queued = node.raw(2)
    assert node.call("evm_revert", snapshot) is True
    assert node.nonce("latest") == 0 and node.nonce("pending") == 0
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    node.raw(0, value=9)
    node.raw(1)
    assert node.receipt(queued)["status"] == "0x1" and node.nonce("latest") == 3


def test_tracing_a_waiting_transaction_says_it_waits(node):
    waiting = node.raw(1)  # nonce 0 never came: it waits in the pool
    with pytest.raises(RpcRefusal) as refused:
        node.call("debug_traceTransaction", waiting, {"tracer": "callTracer"})
    assert refused.value.message == (
        f"transaction {waiting} waits in the transaction pool; trace it once it has run"
    )
    ran = node.raw(0)
    assert node.call("debug_traceTransaction", ran, {"tracer": "callTracer"})["type"] == "CALL"
    assert node.call("debug_traceTransaction", waiting, {"tracer": "callTracer"})["to"] == SINK
