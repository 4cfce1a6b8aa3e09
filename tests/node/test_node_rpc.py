"""`ogkit node` as a real process, driven with web3.py and raw JSON-RPC.

Covers the standard methods, an inference contract (SentimentGate) deployed and called
through the node, reverts (code 3 with the revert data), logs and filters, signing, the
dev methods, batches and the error objects of malformed requests.
"""

from __future__ import annotations

import json
import time

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from node_support import (
    DEV_KEYS,
    SENTIMENT_SCORE,
    SENTIMENT_WORDS,
    RpcFailure,
    deploy,
    transact,
)
from web3 import Web3

from ogkit.inference.receipts import decode_inference_event
from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC

OG_INFERENCE = "0x00000000000000000000000000000000000000F4"
EVENT_TOPIC = "0x" + MODEL_INFERENCE_EVENT_TOPIC.to_bytes(32, "big").hex()


def test_identity_and_accounts(node, w3):
    assert w3.client_version.startswith("ogkit-node/")
    assert w3.eth.chain_id == 1337
    assert node.rpc("net_version") == "1337"
    assert node.rpc("net_listening") is True
    assert node.rpc("eth_syncing") is False
    accounts = w3.eth.accounts
    assert len(accounts) == 10
    assert accounts[0] == Account.from_key(DEV_KEYS[0]).address
    assert w3.eth.get_balance(accounts[9]) == 10_000 * 10**18
    assert w3.eth.get_block("latest")["number"] == w3.eth.block_number


def test_inference_transaction(node, w3, gate):
    owner = Account.from_key(DEV_KEYS[0]).address
    receipt = transact(w3, DEV_KEYS[0], gate.functions.submit(SENTIMENT_WORDS))
    assert receipt.status == 1
    inference_logs = [log for log in receipt.logs if log.address == OG_INFERENCE]
    assert len(inference_logs) == 1
    assert inference_logs[0].topics[0].to_0x_hex() == EVENT_TOPIC
    value, decimals, positive, at = gate.functions.verdicts(owner).call()
    assert (value, decimals, positive) == (*SENTIMENT_SCORE, True)
    assert at == w3.eth.get_block(receipt.blockNumber)["timestamp"]
    assert gate.functions.isPositive(owner).call() is True

    event = decode_inference_event(bytes(inference_logs[0].data))
    assert event.model_id == "sentiment"
    record = node.rpc("ogkit_getInferenceRecord", "0x" + event.inference_id)
    assert record["modelId"] == "sentiment"
    assert record["blockNumber"] == receipt.blockNumber
    assert record["transactionHash"] == receipt.transactionHash.to_0x_hex()
    assert record["settlement"] == "not required"
    assert node.rpc("ogkit_getBlockInferenceRecords", hex(receipt.blockNumber)) == [record]
    # one log line per mined transaction, naming the model and the inference id
    deadline = time.monotonic() + 10
    line = f"inference model=sentiment id=0x{event.inference_id}"
    while line not in node.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert line in node.log()


def test_revert_reason_and_data(node, w3, gate, sentiment):
    owner = Account.from_key(DEV_KEYS[0]).address
    call = {"from": owner, "to": gate.address, "data": gate.encode_abi("submit", [[]])}
    with pytest.raises(RpcFailure) as custom:
        node.rpc("eth_call", call, "latest")
    assert custom.value.code == 3
    assert custom.value.message == "execution reverted"
    assert custom.value.data == Web3.keccak(text="EmptyText()")[:4].to_0x_hex()

    abi, bytecode = sentiment
    missing = deploy(w3, DEV_KEYS[0], abi, bytecode, "no-such-model")
    call = {"from": owner, "to": missing.address, "data": missing.encode_abi("submit", [["x"]])}
    for method in ("eth_call", "eth_estimateGas"):
        with pytest.raises(RpcFailure) as reason:
            node.rpc(method, call, "latest")
        assert reason.value.code == 3
        assert reason.value.message == (
            "execution reverted: OGInference: model not found: no-such-model"
        )
        assert reason.value.data.startswith("0x08c379a0")
    # a reverting transaction is mined with status 0, as on any node
    tx = {**call, "gas": hex(2_000_000)}
    receipt = w3.eth.wait_for_transaction_receipt(node.rpc("eth_sendTransaction", tx))
    assert receipt.status == 0


def test_estimate_gas_matches_execution(w3, gate):
    owner = Account.from_key(DEV_KEYS[1]).address
    estimate = gate.functions.submit(SENTIMENT_WORDS).estimate_gas({"from": owner})
    receipt = transact(w3, DEV_KEYS[1], gate.functions.submit(SENTIMENT_WORDS))
    assert receipt.gasUsed <= estimate <= receipt.gasUsed * 1.02
    tx_hash = gate.functions.submit(SENTIMENT_WORDS).transact({"from": owner, "gas": estimate})
    assert w3.eth.wait_for_transaction_receipt(tx_hash).status == 1


def test_send_transaction_and_signing(node, w3):
    sender, receiver = w3.eth.accounts[2], w3.eth.accounts[3]
    before = w3.eth.get_balance(receiver)
    tx_hash = w3.eth.send_transaction({"from": sender, "to": receiver, "value": 12345})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1 and receipt["from"] == sender
    assert w3.eth.get_balance(receiver) == before + 12345
    tx = w3.eth.get_transaction(tx_hash)
    assert tx["from"] == sender and tx["blockNumber"] == receipt.blockNumber

    message = b"hello ogkit"
    signature = node.rpc("eth_sign", sender, "0x" + message.hex())
    assert Account.recover_message(encode_defunct(message), signature=signature) == sender
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "Mail": [{"name": "to", "type": "address"}, {"name": "contents", "type": "string"}],
        },
        "primaryType": "Mail",
        "domain": {"name": "ogkit", "chainId": 1337},
        "message": {"to": receiver, "contents": "hi"},
    }
    signature = node.rpc("eth_signTypedData_v4", sender, json.dumps(typed))
    recovered = Account.recover_message(encode_typed_data(full_message=typed), signature=signature)
    assert recovered == sender
    with pytest.raises(RpcFailure) as unknown:
        node.rpc("eth_sendTransaction", {"from": "0x" + "12" * 20, "to": receiver})
    assert unknown.value.code == -32000


def test_logs_and_filters(node, w3, gate):
    owner = Account.from_key(DEV_KEYS[0]).address
    block_filter = node.rpc("eth_newBlockFilter")
    log_filter = node.rpc("eth_newFilter", {"address": gate.address})
    inference_filter = node.rpc("eth_newFilter", {"address": OG_INFERENCE, "topics": [EVENT_TOPIC]})
    receipt = transact(w3, DEV_KEYS[0], gate.functions.submit(SENTIMENT_WORDS))
    assert node.rpc("eth_getFilterChanges", block_filter) == [receipt.blockHash.to_0x_hex()]
    changes = node.rpc("eth_getFilterChanges", log_filter)
    assert [c["transactionHash"] for c in changes] == [receipt.transactionHash.to_0x_hex()]
    assert len(node.rpc("eth_getFilterChanges", inference_filter)) == 1
    assert node.rpc("eth_getFilterChanges", log_filter) == []

    topic = Web3.keccak(text="SentimentRecorded(address,int128,int128,bool)").to_0x_hex()
    owner_topic = "0x" + bytes.fromhex(owner[2:]).rjust(32, b"\0").hex()
    logs = node.rpc(
        "eth_getLogs",
        {
            "fromBlock": "0x0",
            "toBlock": "latest",
            "address": gate.address,
            "topics": [topic, [owner_topic]],
        },
    )
    assert logs and all(entry["topics"][1] == owner_topic for entry in logs)
    assert logs[-1]["transactionHash"] == receipt.transactionHash.to_0x_hex()
    by_hash = node.rpc("eth_getLogs", {"blockHash": receipt.blockHash.to_0x_hex()})
    assert len(by_hash) == 2  # the 0xF4 event and SentimentRecorded
    assert [int(entry["logIndex"], 16) for entry in by_hash] == [0, 1]
    assert node.rpc("eth_uninstallFilter", log_filter) is True
    with pytest.raises(RpcFailure):
        node.rpc("eth_getFilterChanges", log_filter)


def test_snapshot_revert_and_dev_methods(node, w3):
    target = "0x" + "77" * 20
    start = w3.eth.block_number
    snapshot = node.rpc("evm_snapshot")
    node.rpc("anvil_setBalance", target, hex(5 * 10**18))
    assert w3.eth.get_balance(target) == 5 * 10**18
    node.rpc("anvil_setCode", target, "0x6001600055")
    assert w3.eth.get_code(target).to_0x_hex() == "0x6001600055"
    node.rpc("anvil_setStorageAt", target, "0x0", "0x" + "00" * 31 + "2a")
    assert int(node.rpc("eth_getStorageAt", target, "0x0", "latest"), 16) == 42
    tx_hash = w3.eth.send_transaction({"from": w3.eth.accounts[4], "to": target, "value": 1})
    assert w3.eth.wait_for_transaction_receipt(tx_hash).status == 1

    latest = w3.eth.get_block("latest")
    node.rpc("evm_setNextBlockTimestamp", hex(latest.timestamp + 1000))
    node.rpc("evm_mine")
    assert w3.eth.get_block("latest").timestamp == latest.timestamp + 1000
    node.rpc("evm_increaseTime", hex(3600))
    node.rpc("evm_mine")
    assert w3.eth.get_block("latest").timestamp >= latest.timestamp + 1000 + 3600
    node.rpc("anvil_mine", "0x3")
    assert w3.eth.block_number == start + 1 + 2 + 3

    assert node.rpc("evm_revert", snapshot) is True
    assert w3.eth.block_number == start
    assert w3.eth.get_balance(target) == 0
    assert w3.eth.get_code(target) == b""
    assert node.rpc("eth_getTransactionReceipt", tx_hash.to_0x_hex()) is None
    assert node.rpc("eth_getBlockByNumber", hex(start + 1), False) is None
    assert node.rpc("evm_revert", snapshot) is False  # a snapshot is used up by reverting

    # Ape's isolation with a geth-style node: debug_setHead
    tx_hash = w3.eth.send_transaction({"from": w3.eth.accounts[4], "to": target, "value": 1})
    w3.eth.wait_for_transaction_receipt(tx_hash)
    assert node.rpc("debug_setHead", hex(start)) is None
    assert w3.eth.block_number == start
    assert node.rpc("eth_getTransactionByHash", tx_hash.to_0x_hex()) is None
    # the chain goes on from there
    tx_hash = w3.eth.send_transaction({"from": w3.eth.accounts[4], "to": target, "value": 2})
    assert w3.eth.wait_for_transaction_receipt(tx_hash).blockNumber == start + 1
    # a snapshot whose block was dropped since cannot be reverted to
    node.rpc("anvil_mine", "0x2")
    dropped = node.rpc("evm_snapshot")
    node.rpc("debug_setHead", hex(start + 1))
    node.rpc("evm_mine")
    assert node.rpc("evm_revert", dropped) is False
    assert w3.eth.block_number == start + 2


def test_impersonation(node, w3):
    whale = Web3.to_checksum_address("0x" + "ab" * 20)
    node.rpc("anvil_setBalance", whale, hex(10**18))
    with pytest.raises(RpcFailure):
        node.rpc("eth_sendTransaction", {"from": whale, "to": w3.eth.accounts[5], "value": "0x1"})
    node.rpc("anvil_impersonateAccount", whale)
    tx_hash = w3.eth.send_transaction({"from": whale, "to": w3.eth.accounts[5], "value": 7})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1 and receipt["from"] == whale
    assert w3.eth.get_transaction(tx_hash)["from"] == whale
    assert w3.eth.get_transaction_count(whale) == 1
    node.rpc("hardhat_stopImpersonatingAccount", whale)
    with pytest.raises(RpcFailure):
        node.rpc("eth_sendTransaction", {"from": whale, "to": w3.eth.accounts[5], "value": "0x1"})


def test_fees(node, w3):
    base_fee = w3.eth.get_block("pending")["baseFeePerGas"]
    assert w3.eth.gas_price >= base_fee
    assert w3.eth.max_priority_fee == 10**9
    history = w3.eth.fee_history(4, "latest", [25, 75])
    assert len(history["baseFeePerGas"]) == 5
    assert len(history["gasUsedRatio"]) == 4 and len(history["reward"]) == 4
    assert all(len(row) == 2 for row in history["reward"])
    assert history["oldestBlock"] == w3.eth.block_number - 3


def test_batch_and_error_objects(node):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
        {"jsonrpc": "2.0", "id": "two", "method": "no_such_method"},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x12"]},
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # a notification: no response
        {"jsonrpc": "2.0", "id": 5, "method": "eth_chainId"},
    ]
    status, replies = node.raw(json.dumps(batch).encode())
    assert status == 200
    by_id = {reply["id"]: reply for reply in replies}
    assert set(by_id) == {1, "two", 3, 5}
    assert by_id[1]["result"].startswith("0x")
    assert by_id["two"]["error"]["code"] == -32601
    assert by_id[3]["error"]["code"] == -32602
    assert by_id[5]["result"] == "0x539"

    assert node.raw(b'{"jsonrpc": "2.0", "id": 1, "method": ')[1]["error"]["code"] == -32700
    assert node.raw(b"[]")[1]["error"]["code"] == -32600
    assert node.raw(b'"just a string"')[1]["error"]["code"] == -32600
    reply = node.raw(b'{"jsonrpc":"2.0","id":9,"method":"eth_getBalance","params":{"a":1}}')[1]
    assert reply["error"]["code"] == -32602
    reply = node.raw(b'{"jsonrpc":"2.0","id":9,"method":"eth_getBlockByNumber","params":[1,2,3]}')
    assert reply[1]["error"]["code"] == -32602
    huge = b'{"jsonrpc":"2.0","id":1,"method":"eth_call","params":["' + b"a" * (8 << 20) + b'"]}'
    status, reply = node.raw(huge)
    assert status == 413
    assert reply["error"]["code"] == -32600 and "8 MiB" in reply["error"]["message"]
    status, reply = node.raw(b'{"jsonrpc":"2.0","method":"eth_blockNumber"}')
    assert status == 200 and reply is None  # a lone notification
    assert node.rpc("eth_blockNumber").startswith("0x")
