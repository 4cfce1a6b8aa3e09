"""HACA inside `ogkit node`: its settlement service settles TEE results over the node's own
JSON-RPC, clients wait with `ogkit_waitForSettlement`, and PIPE emulation switches at run
time with `ogkit_setPipe`."""

from __future__ import annotations

import pytest
from node_support import DEV_KEYS, NodeProcess, deploy, transact, web3_artifact
from web3 import Web3
from web3.logs import DISCARD

from ogkit.contracts import load
from ogkit.inference.receipts import decode_inference_event
from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, standard_leaf
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.fixed_point import to_number
from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC as EVENT_TOPIC

TEE = 2
OG_INFERENCE = Web3.to_checksum_address(OG_INFERENCE_ADDRESS)
FEATURES = tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0])


@pytest.fixture(scope="module")
def pool(project, w3):
    abi, bytecode = web3_artifact(project, "RiskLendingPool")
    pool = deploy(w3, DEV_KEYS[0], abi, bytecode, "credit_risk")
    transact(w3, DEV_KEYS[0], pool.functions.setInferenceMode(TEE))
    return pool


def inference_id_of(receipt) -> str:
    """The id in the receipt's one `ModelInferenceEvent` (logged by 0xF4)."""
    (log,) = [
        log
        for log in receipt["logs"]
        if log["address"] == OG_INFERENCE and int.from_bytes(log["topics"][0]) == EVENT_TOPIC
    ]
    return decode_inference_event(bytes(log["data"])).inference_id


def test_the_node_settles_a_tee_inference(node, w3, pool):
    receipt = transact(w3, DEV_KEYS[0], pool.functions.assess(FEATURES))
    assert receipt.status == 1
    inference_id = inference_id_of(receipt)
    record = node.rpc("ogkit_waitForSettlement", inference_id, 60)
    assert record["settlement"] == f"settled {record['settlementTx']}"
    assert record["mode"] == TEE and record["blockNumber"] == receipt.blockNumber

    settled = w3.eth.get_transaction_receipt(record["settlementTx"])
    relay = w3.eth.contract(address=settled.to, abi=load("InferenceSettlementRelay").abi)
    (event,) = relay.events.IndividualSettlement().process_receipt(settled)
    assert "0x" + event.args.inputHash.hex() == record["inputHash"]
    assert "0x" + event.args.outputHash.hex() == record["outputHash"]
    assert "0x" + event.args.signature.hex() == record["teeSignature"]["signature"]
    assert relay.functions.isSettled(
        event.args.inputHash, event.args.outputHash, event.args.timestamp
    ).call()
    # the same answer later, from the node's database
    assert node.rpc("ogkit_getInferenceRecord", inference_id)["settlement"] == record["settlement"]


def test_pipe_switches_at_run_time(node, w3, pool):
    from eth_account import Account

    assert node.rpc("ogkit_pipe") is False
    assert pool.functions.assess(FEATURES).call() is True
    try:
        assert node.rpc("ogkit_setPipe", True) is True
        assert pool.functions.assess(FEATURES).call() is False  # the simulation branch
        estimate = pool.functions.assess(FEATURES).estimate_gas()
        account = Account.from_key(DEV_KEYS[0])
        tx = pool.functions.assess(FEATURES).build_transaction(
            {
                "from": account.address,
                "gas": estimate * 3,  # as the SDK pads on alpha
                "nonce": w3.eth.get_transaction_count(account.address),
            }
        )
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        assert receipt.status == 1 and receipt.gasUsed > estimate  # the real, longer branch
        (assessed,) = pool.events.Assessed().process_receipt(receipt, errors=DISCARD)
        assert assessed.args.account == account.address
    finally:
        assert node.rpc("ogkit_setPipe", False) is False


def test_bad_settlement_and_pipe_params_are_json_rpc_errors(node):
    from node_support import RpcFailure

    for method, params in [
        ("ogkit_waitForSettlement", [123]),
        ("ogkit_waitForSettlement", ["0x01", -1]),
        ("ogkit_waitForSettlement", ["0x01", True]),
        ("ogkit_setPipe", ["yes"]),
        ("ogkit_setPipe", []),
    ]:
        with pytest.raises(RpcFailure) as failure:
            node.rpc(method, *params)
        assert failure.value.code == -32602, (method, params)
    assert node.rpc("ogkit_waitForSettlement", "0x" + "00" * 32, 0) is None


@pytest.fixture(scope="module")
def batching_node(tmp_path_factory, model_store):
    """A node that proves ZK inferences (the store has the model's zk-setup) and settles TEE
    results in Merkle batches."""
    from ogkit import zk

    zk.setup(model_store, "upstream_demo")
    process = NodeProcess(
        tmp_path_factory.mktemp("batching-node"), "--settlement-batch", "8", store=model_store.root
    ).start()
    yield process
    process.stop()


def test_the_node_proves_and_settles_a_zk_inference(project, batching_node):
    from og_examples.models import UPSTREAM_DEMO_ALIAS

    w3 = Web3(Web3.HTTPProvider(batching_node.url, request_kwargs={"timeout": 60}))
    abi, bytecode = web3_artifact(project, "UpstreamStyleConsumer")
    consumer = deploy(w3, DEV_KEYS[0], abi, bytecode, UPSTREAM_DEMO_ALIAS)
    receipt = transact(w3, DEV_KEYS[0], consumer.functions.runZkmlModel())
    record = batching_node.rpc("ogkit_waitForSettlement", inference_id_of(receipt), 240)
    assert record["mode"] == 1
    assert record["settlement"] == f"settled {record['settlementTx']}"
    settled = w3.eth.get_transaction_receipt(record["settlementTx"])
    contract = w3.eth.contract(address=settled.to, abi=load("ZkInferenceSettlement").abi)
    (event,) = contract.events.ZkSettlement().process_receipt(settled)
    assert "0x" + event.args.inferenceId.hex() == record["inferenceId"]
    assert "0x" + event.args.outputHash.hex() == record["outputHash"]
    assert contract.functions.settled(event.args.inferenceId).call()


def test_the_node_settles_tee_results_in_merkle_batches(project, batching_node):
    w3 = Web3(Web3.HTTPProvider(batching_node.url, request_kwargs={"timeout": 60}))
    abi, bytecode = web3_artifact(project, "RiskLendingPool")
    pool = deploy(w3, DEV_KEYS[1], abi, bytecode, "credit_risk")
    transact(w3, DEV_KEYS[1], pool.functions.setInferenceMode(TEE))
    ids = []
    for i in range(3):
        features = tuple(to_number(x) for x in [1.0 + i, 0.3, 0.4, 6.0])
        ids.append(inference_id_of(transact(w3, DEV_KEYS[1], pool.functions.assess(features))))
    records = [batching_node.rpc("ogkit_waitForSettlement", i, 60) for i in ids]
    for record in records:
        assert record["settlement"].startswith(f"settled {record['settlementTx']} in batch 0x")
        settled = w3.eth.get_transaction_receipt(record["settlementTx"])
        relay = w3.eth.contract(address=settled.to, abi=load("InferenceSettlementRelay").abi)
        signed = record["teeSignature"]
        leaf = standard_leaf(
            SETTLEMENT_LEAF_TYPES,
            [
                bytes.fromhex(signed["teeId"][2:]),
                bytes.fromhex(record["inputHash"][2:]),
                bytes.fromhex(record["outputHash"][2:]),
                bytes.fromhex(signed["signature"][2:]),
                signed["timestamp"],
            ],
        )
        root = bytes.fromhex(record["merkleRoot"][2:])
        proof = [bytes.fromhex(h[2:]) for h in record["merkleProof"]]
        assert relay.functions.verifyProof(proof, root, leaf).call()
        (batch,) = relay.events.BatchSettlement().process_receipt(settled)
        assert batch.args.merkleRoot == root


def test_wait_for_settlement_says_when_it_timed_out(tmp_path, project, model_store):
    node = NodeProcess(tmp_path, "--no-settlement", store=model_store.root).start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        abi, bytecode = web3_artifact(project, "RiskLendingPool")
        pool = deploy(w3, DEV_KEYS[0], abi, bytecode, "credit_risk")
        transact(w3, DEV_KEYS[0], pool.functions.setInferenceMode(TEE))
        tee_id = inference_id_of(transact(w3, DEV_KEYS[0], pool.functions.assess(FEATURES)))
        record = node.rpc("ogkit_waitForSettlement", tee_id, 0.2)
        assert record["settlement"] == "pending" and record["timedOut"] is True
        assert {k: v for k, v in record.items() if k != "timedOut"} == node.rpc(
            "ogkit_getInferenceRecord", tee_id
        )
        transact(w3, DEV_KEYS[0], pool.functions.setInferenceMode(0))
        vanilla_id = inference_id_of(transact(w3, DEV_KEYS[0], pool.functions.assess(FEATURES)))
        final = node.rpc("ogkit_waitForSettlement", vanilla_id, 0.2)
        assert final["settlement"] == "not required" and "timedOut" not in final
    finally:
        node.stop()
