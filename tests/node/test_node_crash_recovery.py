"""`ogkit node --data-dir` after `kill -9`: what it answered before the crash is kept.

An automined block is sealed just after the `eth_sendRawTransaction` answer is written; a
node killed right after that answer must still have the transaction when it starts again.
"""

from __future__ import annotations

import json

from eth_account import Account
from node_support import DEV_KEYS, NodeProcess, post

CHAIN_ID = 31337
ROUNDS = 4
PER_ROUND = 3


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
