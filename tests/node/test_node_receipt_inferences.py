"""`ogkit node` receipts list the transaction's 0xF4 calls (`inferences`), and Ape's receipt
on the node provider reads the same list."""

from __future__ import annotations

import pytest
from node_support import DEV_KEYS, deploy, transact, web3_artifact

from precompiles.inference.precompile import RUN_MODEL_INFERENCE

DEMO = (0, "upstream_demo", ([("input", [(5, 1), (-25, 2)], [2])], []))
CREDIT = (2, "credit_risk", ([("features", [(3, 0), (25, 1), (1, 0), (-4, 1)], [1, 4])], []))


@pytest.fixture(scope="module")
def probe(w3, project):
    abi, bytecode = web3_artifact(project, "InferenceProbe")
    return deploy(w3, DEV_KEYS[2], abi, bytecode)


def test_a_receipt_lists_both_calls_in_order(node, w3, probe):
    receipt = transact(w3, DEV_KEYS[2], probe.functions.inferBoth(DEMO, CREDIT))
    tx_hash = receipt["transactionHash"].to_0x_hex()

    raw = node.rpc("eth_getTransactionReceipt", tx_hash)
    first, second = raw["inferences"]
    assert [(c["modelId"], c["mode"]) for c in (first, second)] == [
        ("upstream_demo", 0),
        ("credit_risk", 2),
    ]
    for call in (first, second):
        record = node.rpc("ogkit_getInferenceRecord", call["inferenceId"])
        assert call["caller"] == probe.address.lower() == record["caller"]
        assert call["selector"] == "0x" + RUN_MODEL_INFERENCE.hex()
        assert call["function"] == "runModelInference"
        assert (call["inputHash"], call["outputHash"]) == (
            record["inputHash"],
            record["outputHash"],
        )
        assert call["modelHash"] == record["modelHash"]
    assert first["settlement"] == "not required"
    events = [log for log in raw["logs"] if log["address"] == first["precompile"]]
    assert [first["logIndex"], second["logIndex"]] == [int(e["logIndex"], 16) for e in events]

    (in_block,) = [
        r
        for r in node.rpc("eth_getBlockReceipts", hex(receipt["blockNumber"]))
        if r["transactionHash"] == tx_hash
    ]
    assert in_block["inferences"] == raw["inferences"]


def test_a_plain_transfer_has_an_empty_list(node):
    sender = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # dev account 3, unlocked
    tx_hash = node.rpc(
        "eth_sendTransaction", {"from": sender, "to": "0x" + "11" * 20, "value": "0x1"}
    )
    assert node.rpc("eth_getTransactionReceipt", tx_hash)["inferences"] == []
