"""The transaction pool with automine off: the pending block and its gas room.

A transaction that fits the block gas limit but not what is left of the pending block waits
for the next block; one above the limit is refused. A transaction dropped from the pending
block makes the block again (its sender's later ones wait, queued), turning automine on runs
what waits for room, and every waiting transaction is stored, so a restart loses none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from node_support import DEV_KEYS, RpcFailure
from txpool_support import BLOCK_GAS, SDK_GAS, SENDER, SINK, Node
from web3 import Web3

from ogkit.node import NodeConfig


def stored_pool(node: Node) -> list[tuple[bytes, bytes]]:
    return node.chain.db.items_with_prefix(b"ogkit:pool:")


@pytest.fixture
def manual():
    """Automine off: blocks are sealed by `evm_mine` only."""
    n = Node()
    n.call("evm_setAutomine", False)
    yield n
    n.close()


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
    with pytest.raises(RpcFailure, match="exceeds block gas limit: using 30029123"):
        manual.raw(1, gas=BLOCK_GAS + 1)
    with pytest.raises(RpcFailure, match="exceeds block gas limit"):
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
