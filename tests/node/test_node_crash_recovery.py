"""`ogkit node --data-dir` after `kill -9`: what it answered before the crash is kept.

An automined block is sealed just after the `eth_sendRawTransaction` answer is written; a
node killed right after that answer must still have the transaction when it starts again.
"""

from __future__ import annotations

import json

from eth_account import Account
from node_support import DEV_KEYS, NodeProcess, deploy, post, transact, web3_artifact
from web3 import Web3

from ogkit.inference.receipts import decode_inference_event
from ogkit.inference.records import PENDING_STATES
from ogkit.node.chain import recovery
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.fixed_point import to_number
from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC as EVENT_TOPIC

CHAIN_ID = 31337
ROUNDS = 4
PER_ROUND = 3
TEE = 2
FEATURES = tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0])


def _raw_transfer(nonce: int) -> str:
    tx = {
        "to": Account.from_key(DEV_KEYS[1]).address,
        "value": 1,
        "gas": 21_000,
        "maxFeePerGas": 10**11,
        "maxPriorityFeePerGas": 1,
        "nonce": nonce,
        "chainId": CHAIN_ID,
    }
    return "0x" + Account.sign_transaction(tx, DEV_KEYS[0]).raw_transaction.hex().removeprefix("0x")


def _send_raw(node: NodeProcess, raw: str) -> str:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}
    _, raw_reply = post(node.url, json.dumps(body).encode())
    reply = json.loads(raw_reply)
    assert "result" in reply, f"a transaction answered before the kill was lost: {reply}"
    return reply["result"]


def test_kill9_right_after_each_answer_keeps_every_returned_hash(tmp_path, model_store):
    args = ("--data-dir", str(tmp_path / "chain"), "--chain-id", str(CHAIN_ID))
    returned: list[str] = []
    nonce = 0
    for _ in range(ROUNDS):
        node = NodeProcess(tmp_path, *args, store=model_store.root).start()
        try:
            for _ in range(PER_ROUND):
                returned.append(_send_raw(node, _raw_transfer(nonce)))
                nonce += 1
            node.kill9()  # at once: the last block is still owed
        finally:
            node.kill9()
    node = NodeProcess(tmp_path, *args, store=model_store.root).start()
    try:
        missing = [h for h in returned if node.rpc("eth_getTransactionReceipt", h) is None]
        assert missing == []
        assert int(node.rpc("eth_getTransactionCount", _sender(), "latest"), 16) == nonce
    finally:
        node.stop()


def _sender() -> str:
    return Account.from_key(DEV_KEYS[0]).address


def inference_id_of(receipt) -> str:
    """The id in the receipt's one `ModelInferenceEvent` (logged by 0xF4)."""
    (log,) = [
        log
        for log in receipt["logs"]
        if log["address"] == Web3.to_checksum_address(OG_INFERENCE_ADDRESS)
        and int.from_bytes(log["topics"][0]) == EVENT_TOPIC
    ]
    return "0x" + decode_inference_event(bytes(log["data"])).inference_id


def _records_left_unsettled(tmp_path, model_store, project, args) -> tuple[str, str]:
    """A TEE and a ZK inference made on a node that does not settle, then `kill -9`."""
    from og_examples.models import UPSTREAM_DEMO_ALIAS
    from ogkit import zk

    zk.setup(model_store, "upstream_demo")
    node = NodeProcess(tmp_path, *args, "--no-settlement", store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        abi, bytecode = web3_artifact(project, "RiskLendingPool")
        pool = deploy(w3, DEV_KEYS[0], abi, bytecode, "credit_risk")
        transact(w3, DEV_KEYS[0], pool.functions.setInferenceMode(TEE))
        tee_id = inference_id_of(transact(w3, DEV_KEYS[0], pool.functions.assess(FEATURES)))
        abi, bytecode = web3_artifact(project, "UpstreamStyleConsumer")
        consumer = deploy(w3, DEV_KEYS[0], abi, bytecode, UPSTREAM_DEMO_ALIAS)
        zk_id = inference_id_of(transact(w3, DEV_KEYS[0], consumer.functions.runZkmlModel()))
        assert node.rpc("ogkit_getInferenceRecord", tee_id)["settlement"] == "pending"
        assert node.rpc("ogkit_getInferenceRecord", zk_id)["settlement"] in PENDING_STATES
    finally:
        node.kill9()
    return tee_id, zk_id


def test_records_a_crash_left_unsettled_are_taken_up_again(tmp_path, model_store, project):
    args = ("--data-dir", str(tmp_path / "chain"))
    tee_id, zk_id = _records_left_unsettled(tmp_path, model_store, project, args)
    node = NodeProcess(tmp_path, *args, store=model_store.root).start()
    try:
        zk_record = node.rpc("ogkit_waitForSettlement", zk_id, 30)
        assert zk_record["settlement"] == f"failed: {recovery.ZK_LOST}"
        tee_record = node.rpc("ogkit_waitForSettlement", tee_id, 120)
        assert tee_record["settlement"] == f"settled {tee_record['settlementTx']}", tee_record
        assert "timedOut" not in tee_record
    finally:
        node.stop()
