"""Two identical transactions of one sender in one block get two inference ids (issue 12
item 7): the sender's nonce is part of the id. `NodeChain` in-process, automine off."""

from __future__ import annotations

import json
from itertools import count

from eth_account import Account
from node_support import DEV_KEYS

from og_examples.models import sample_input
from ogkit.node import NodeChain, NodeConfig, Rpc
from ogkit.node.chain.records import decode_inference_event
from precompiles.fixed_point import from_array
from precompiles.inference.model_codec import encode_model_inference_request
from precompiles.inference.precompile import RUN_MODEL_INFERENCE
from precompiles.inference.types import ModelInferenceRequest, ModelInput, NumberTensor

F4 = "0x00000000000000000000000000000000000000F4"


def request_calldata() -> bytes:
    ((name, array),) = sample_input("credit_risk").items()
    tensor = NumberTensor(name, from_array(array), tuple(array.shape))
    request = ModelInferenceRequest(0, "credit_risk", ModelInput((tensor,)))
    return RUN_MODEL_INFERENCE + encode_model_inference_request(request)


def test_two_identical_transactions_in_one_block_get_two_ids(model_store) -> None:
    node = NodeChain(NodeConfig(model_store=model_store.root))
    rpc, ids = Rpc(node, "test"), count(1)

    def call(method: str, *params):
        body = {"jsonrpc": "2.0", "id": next(ids), "method": method, "params": list(params)}
        reply = json.loads(rpc.handle(json.dumps(body).encode()))
        assert "error" not in reply, reply
        return reply["result"]

    try:
        call("evm_setAutomine", False)
        account = Account.from_key(DEV_KEYS[2])
        nonce = int(call("eth_getTransactionCount", account.address, "pending"), 16)
        data = "0x" + request_calldata().hex()
        hashes = []
        for i in range(2):
            tx = {
                "to": F4,
                "data": data,
                "gas": 3_000_000,
                "gasPrice": 10**10,
                "nonce": nonce + i,
                "chainId": node.chain_id,
            }
            raw = account.sign_transaction(tx).raw_transaction
            hashes.append(call("eth_sendRawTransaction", "0x" + raw.hex()))
        call("evm_mine")
        receipts = [call("eth_getTransactionReceipt", h) for h in hashes]
        assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
        assert [r["status"] for r in receipts] == ["0x1", "0x1"]
        found = [
            decode_inference_event(bytes.fromhex(log["data"][2:])).inference_id
            for r in receipts
            for log in r["logs"]
            if log["address"].lower() == F4.lower()
        ]
        assert len(found) == 2 and found[0] != found[1]
        for inference_id in found:  # each has its record, found by the ogkit_ lookup
            record = call("ogkit_getInferenceRecord", inference_id)
            assert record["blockNumber"] == int(receipts[0]["blockNumber"], 16)
    finally:
        node.close()
