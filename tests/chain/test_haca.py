"""HACA on the local chain, as a user sees it: the call answers at once, the settlement
service (started with the Ape provider) settles TEE results by itself, and a test waits for
it with `provider.wait_for_settlement` instead of sleeping."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from og_examples.models import UPSTREAM_DEMO_ALIAS, sample_input
from ogkit import zk
from ogkit.contracts import load
from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, standard_leaf
from ogkit.settlement.merkle import verify as verify_merkle
from ogkit.settlement.sender import TxSender
from ogkit.settlement.tee import settlement_leaf
from ogkit.tee.attestation import verify_result_signature
from precompiles.fixed_point import to_number

VANILLA, ZK, TEE = 0, 1, 2


@pytest.fixture
def provider(chain, model_store):
    return chain.provider


def assess(pool, admin, mode: int, features) -> str:
    pool.setInferenceMode(mode, sender=admin)
    receipt = pool.assess(tuple(to_number(x) for x in features), sender=admin)
    (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
    return event.inferenceID


def relay_contract(provider, name: str, address: str):
    return provider.web3.eth.contract(address=address, abi=load(name).abi)


def test_a_vanilla_inference_needs_no_settlement(provider, pool, admin):
    inference_id = assess(pool, admin, VANILLA, [1.0, 0.5, 0.5, 2.0])
    assert provider.wait_for_settlement(inference_id, timeout=5).settlement == "not required"


def test_a_tee_inference_is_settled_by_the_service(provider, pool, admin):
    features = sample_input("credit_risk")["features"].reshape(-1)
    inference_id = assess(pool, admin, TEE, features)
    record = provider.wait_for_settlement(inference_id, timeout=60)
    assert record.settlement == f"settled {record.settlement_tx}"

    # off chain: the enclave's signature over keccak(input ‖ output ‖ time) verifies
    signed = record.tee_signature
    enclave = provider.inference_engine.enclave
    assert verify_result_signature(
        enclave.signing_public_key_der,
        record.input_hash,
        record.output_hash,
        signed.timestamp,
        signed.signature,
    ).valid
    # on chain: the relay re-verified it (registry + 0x900) and says so in its event
    relay = relay_contract(
        provider, "InferenceSettlementRelay", provider.settlement.contracts.relay
    )
    receipt = provider.web3.eth.get_transaction_receipt(record.settlement_tx)
    (event,) = relay.events.IndividualSettlement().process_receipt(receipt)
    assert event.args.teeId == signed.tee_id == enclave.tee_id
    assert (event.args.inputHash, event.args.outputHash) == (record.input_hash, record.output_hash)
    assert event.args.timestamp == signed.timestamp
    assert event.args.signature == signed.signature
    assert event.args.walrusBlobId == inference_id.encode()
    assert relay.functions.isSettled(record.input_hash, record.output_hash, signed.timestamp).call()


def test_tee_inferences_settle_in_a_merkle_batch(provider, pool, admin):
    service = provider.settlement
    with service.paused():
        ids = [assess(pool, admin, TEE, [1.0 + i, 0.2, 0.3, 4.0]) for i in range(3)]
        service.batch_size = 3
    try:
        records = [provider.wait_for_settlement(i, timeout=60) for i in ids]
    finally:
        service.batch_size = 1
    (tx,) = {r.settlement_tx for r in records}  # one transaction settled all three
    (root,) = {r.merkle_root for r in records}
    relay = relay_contract(provider, "InferenceSettlementRelay", service.contracts.relay)
    (event,) = relay.events.BatchSettlement().process_receipt(
        provider.web3.eth.get_transaction_receipt(tx)
    )
    assert event.args.merkleRoot == root and event.args.batchSize == 3
    for record in records:
        assert record.settlement == f"settled {tx} in batch 0x{root.hex()}"
        leaf = standard_leaf(SETTLEMENT_LEAF_TYPES, settlement_leaf(record))
        assert verify_merkle(record.merkle_proof, root, leaf)  # off chain
        assert relay.functions.verifyProof(list(record.merkle_proof), root, leaf).call()  # on
        assert not relay.functions.verifyProof(list(record.merkle_proof), keccak(b"x"), leaf).call()


def test_a_pcr_revoked_before_settlement_fails_it(provider, pool, admin):
    """The enclave's measurement is revoked after it signed: the relay refuses the result."""
    service = provider.settlement
    first = assess(pool, admin, TEE, [2.0, 0.1, 0.1, 3.0])
    provider.wait_for_settlement(first, timeout=60)  # contracts deployed, enclave registered
    contracts = service.contracts
    registry = relay_contract(provider, "TEERegistry", contracts.registry)
    enclave = provider.inference_engine.enclave
    with service.paused():
        inference_id = assess(pool, admin, TEE, [2.5, 0.1, 0.2, 3.5])
        data = registry.encode_abi("revokePCR", args=[enclave.pcr_hash, 0])
        TxSender(provider.web3, service.relayer).send(contracts.registry, bytes.fromhex(data[2:]))
        assert not registry.functions.isTEEActive(enclave.tee_id).call()
    record = provider.wait_for_settlement(inference_id, timeout=60)
    assert record.settlement == "failed: Invalid signature"
    relay = relay_contract(provider, "InferenceSettlementRelay", contracts.relay)
    signed = record.tee_signature
    assert not relay.functions.isSettled(
        record.input_hash, record.output_hash, signed.timestamp
    ).call()


@pytest.fixture(scope="module")
def zk_ready(model_store):
    """upstream_demo set up for proving in the chain's store (reused if already done)."""
    return zk.setup(model_store, "upstream_demo")


def test_each_mode_is_called_and_settled(provider, project, admin, zk_ready):
    """The issue's "done when": a model called in VANILLA, ZK and TEE mode from a contract;
    each call answers at once; the service settles the verifiable ones, checked off chain
    (ezkl, RSA-PSS) and on chain (the model's Halo2 verifier, the relay through 0x900)."""
    consumer = admin.deploy(project.UpstreamStyleConsumer, UPSTREAM_DEMO_ALIAS)
    ids = {}
    # UpstreamStyleConsumer is upstream's example verbatim: it always calls in ZK mode
    receipt = consumer.runZkmlModel(sender=admin)
    (event,) = receipt.decode_logs()
    ids[ZK] = event.inferenceID
    pool = admin.deploy(project.RiskLendingPool, "credit_risk")
    ids[VANILLA] = assess(pool, admin, VANILLA, [1.0, 0.4, 0.6, 3.0])
    ids[TEE] = assess(pool, admin, TEE, [1.5, 0.4, 0.6, 3.0])

    records = {mode: provider.wait_for_settlement(i, timeout=240) for mode, i in ids.items()}
    assert records[VANILLA].settlement == "not required"
    for mode in (ZK, TEE):
        assert records[mode].settlement == f"settled {records[mode].settlement_tx}", mode

    zk_record = records[ZK]
    assert zk_record.zk_verified is True and zk.verify(zk_ready, zk_record.zk_proof)  # off
    contracts = provider.settlement.contracts
    zk_contract = relay_contract(provider, "ZkInferenceSettlement", contracts.zk_settlement)
    receipt = provider.web3.eth.get_transaction_receipt(zk_record.settlement_tx)
    (settled,) = zk_contract.events.ZkSettlement().process_receipt(receipt)  # on chain
    assert settled.args.inferenceId == bytes.fromhex(zk_record.inference_id)
    assert settled.args.modelHash == zk_record.model_hash
    assert (settled.args.inputHash, settled.args.outputHash) == (
        zk_record.input_hash,
        zk_record.output_hash,
    )
    assert settled.args.verifier == zk_contract.functions.verifiers(zk_record.model_hash).call()
    assert zk_contract.functions.settled(settled.args.inferenceId).call()

    tee_record = records[TEE]
    signed = tee_record.tee_signature
    assert verify_result_signature(
        provider.inference_engine.enclave.signing_public_key_der,
        tee_record.input_hash,
        tee_record.output_hash,
        signed.timestamp,
        signed.signature,
    ).valid
    relay = relay_contract(provider, "InferenceSettlementRelay", contracts.relay)
    assert relay.functions.isSettled(
        tee_record.input_hash, tee_record.output_hash, signed.timestamp
    ).call()
