"""Gateway answers settle on the AI chain (an in-process `new_tester` chain here) through the
genesis relay at 0xf1dc…: "batch" in one Merkle root whose proofs the relay's `verifyProof`
accepts, "individual" with `settleIndividual` (re-verified on chain), "private" not at all;
a record whose TEE the registry no longer enables, or whose output was changed, fails with
the reason and is never sent."""

from __future__ import annotations

import json
import urllib.request

import pytest
from gateway_support import serve
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from ogkit.chain import new_tester
from ogkit.chain.tee_registry_genesis import LLM_SETTLEMENT_RELAY_ADDRESS
from ogkit.contracts import load
from ogkit.gateway.registration import GatewayRegistration
from ogkit.gateway.settlement import GatewaySettlement
from ogkit.inference.records import SettlementState
from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, standard_leaf
from ogkit.settlement.tee import settlement_leaf

HELLO = [{"role": "user", "content": "Hello!"}]


@pytest.fixture(scope="module")
def w3(inference_node):
    return Web3(EthereumTesterProvider(new_tester(inference_node)))


@pytest.fixture(scope="module")
def gateway(inference_node, w3):
    server = serve(inference_node, tls=False)
    registration = GatewayRegistration(w3, inference_node.enclave_slot, server.url)
    registration.register()
    yield server, registration
    server.stop()


@pytest.fixture(scope="module")
def relay(w3):
    return w3.eth.contract(
        address=LLM_SETTLEMENT_RELAY_ADDRESS, abi=load("InferenceSettlementRelay").abi
    )


def _ask(server, settlement_type: str, content: str = "Hello!") -> str:
    body = json.dumps({"model": "tiny-llm", "messages": [{"role": "user", "content": content}]})
    request = urllib.request.Request(
        server.url + "/v1/chat/completions",
        data=body.encode(),
        headers={"Content-Type": "application/json", "X-SETTLEMENT-TYPE": settlement_type},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.headers["X-Settlement-Job-ID"]


def _status(server, job: str) -> dict:
    with urllib.request.urlopen(f"{server.url}/v1/settlements/{job}", timeout=30) as reply:
        return json.loads(reply.read())


def test_batch_individual_and_private(gateway, inference_node, w3, relay):
    server, _ = gateway
    batch = [_ask(server, "batch"), _ask(server, "batch", "Thank you!")]
    individual = _ask(server, "individual")
    private = _ask(server, "private")
    assert _status(server, batch[0])["status"] == "pending"

    settlement = GatewaySettlement(inference_node.llm_engine, w3)
    done = settlement.settle_pending()
    assert sorted(d.inference_id for d in done) == sorted([*batch, individual])

    one = inference_node.book.get(individual)
    receipt = w3.eth.get_transaction_receipt(one.settlement_tx)
    (event,) = relay.events.IndividualSettlement().process_receipt(receipt)
    assert (event.args.teeId, event.args.inputHash, event.args.outputHash) == (
        inference_node.enclave.tee_id,
        one.input_hash,
        one.output_hash,
    )
    assert relay.functions.isSettled(
        one.input_hash, one.output_hash, one.tee_signature.timestamp
    ).call()

    shown = [_status(server, job) for job in batch]
    assert {s["status"] for s in shown} == {"settled"}
    assert shown[0]["tx_hash"] == shown[1]["tx_hash"]
    assert shown[0]["merkle_root"] == shown[1]["merkle_root"] is not None
    receipt = w3.eth.get_transaction_receipt(shown[0]["tx_hash"])
    (event,) = relay.events.BatchSettlement().process_receipt(receipt)
    assert ("0x" + event.args.merkleRoot.hex(), event.args.batchSize) == (
        shown[0]["merkle_root"],
        2,
    )
    for job, status in zip(batch, shown, strict=True):
        leaf = standard_leaf(SETTLEMENT_LEAF_TYPES, settlement_leaf(inference_node.book.get(job)))
        proof = [bytes.fromhex(p[2:]) for p in status["merkle_proof"]]
        assert relay.functions.verifyProof(proof, event.args.merkleRoot, leaf).call()

    assert inference_node.book.get(private).state is SettlementState.NOT_REQUIRED
    assert _status(server, private)["status"] == "not required"
    assert settlement.settle_pending() == []  # nothing left


def test_a_tampered_record_and_a_disabled_tee_fail_with_the_reason(
    gateway, inference_node, w3, relay
):
    server, registration = gateway
    settlement = GatewaySettlement(inference_node.llm_engine, w3)
    tampered = inference_node.book.get(_ask(server, "individual"))
    tampered.output_hash = b"\x01" * 32
    (done,) = settlement.settle_pending()
    assert done.inference_id == tampered.inference_id
    assert done.status.startswith("failed: signature does not verify")

    job = _ask(server, "batch")
    registration.stop(disable=True)
    (done,) = settlement.settle_pending()
    assert (done.inference_id, done.status) == (
        job,
        "failed: the TEE is not enabled in the registry",
    )
    assert relay.events.BatchSettlement().get_logs(from_block=w3.eth.block_number) == []
    assert _status(server, job)["settlement"] == "failed: the TEE is not enabled in the registry"
