"""`ogkit node` prices 0xF4's compute before the model runs (issue 12, item 1), so
`eth_estimateGas` of a model call is exactly the gas its transaction uses."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path

from eth_abi import encode
from eth_account import Account
from node_support import DEV_KEYS

from ogkit.models import stress
from ogkit.models.store import ModelStore
from ogkit.node import NodeChain, NodeConfig, Rpc

F4 = "0x00000000000000000000000000000000000000F4"
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
SELECTOR = bytes.fromhex("7289e9c2")
SENDER = Account.from_key(DEV_KEYS[0])


def call(rpc: Rpc, ids: count, method: str, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": next(ids), "method": method, "params": params})
    reply = json.loads(rpc.handle(body.encode()))
    assert "error" not in reply, reply
    return reply["result"]


def test_estimate_of_a_loop_model_call_is_its_gas(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    store.add(stress.loop_matmul(10), "loop10")
    rpc, ids = Rpc(NodeChain(NodeConfig(model_store=store.root)), "test"), count(1)
    data = SELECTOR + encode([REQUEST_TYPE], [(0, "loop10", ([("bias", [[0, 0]], [1])], []))])
    tx = {"from": SENDER.address, "to": F4, "data": "0x" + data.hex()}
    estimate = int(call(rpc, ids, "eth_estimateGas", tx), 16)
    signed = Account.sign_transaction(
        {
            "to": F4,
            "data": data,
            "gas": estimate,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 1,
            "nonce": 0,
            "chainId": int(call(rpc, ids, "eth_chainId"), 16),
            "value": 0,
        },
        DEV_KEYS[0],
    ).raw_transaction
    tx_hash = call(rpc, ids, "eth_sendRawTransaction", "0x" + signed.hex())
    receipt = call(rpc, ids, "eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) == estimate > 69_503  # compute gas 69,503 is in it
