"""HACA for TEE mode, end to end on the AI chain: a contract calls a model in TEE mode, the
engine's enclave signs the result, and the settlement service settles it through the relay,
which re-verifies the signature on chain (TEE registry + 0x900)."""

from __future__ import annotations

import pytest
from tee_support import deploy_registry, deploy_relay

from og_examples.models import sample_input
from ogkit.settlement import TeeSettlement
from precompiles.fixed_point import to_number

TEE_MODE = 2


@pytest.fixture
def engine(chain, model_store):
    """These tests drive a settler by hand, so the provider's own service is held off."""
    with chain.provider.settlement.paused():
        yield chain.provider.inference_engine


def deploy_settlement(project, chain, admin, relayer, enclave=None):
    registry = deploy_registry(project, chain, admin, enclave)
    return deploy_relay(project, admin, relayer, admin.deploy(project.TEEBatchVerifier, registry))


def tee_assessment(project, admin, engine, features):
    pool = admin.deploy(project.RiskLendingPool, "credit_risk")
    pool.setInferenceMode(TEE_MODE, sender=admin)
    receipt = pool.assess(tuple(to_number(x) for x in features), sender=admin)
    (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
    return engine.records[event.inferenceID]


def test_a_tee_inference_settles_on_chain(project, chain, admin, relayer, engine):
    relay = deploy_settlement(project, chain, admin, relayer, engine.enclave)
    features = sample_input("credit_risk")["features"].reshape(-1)
    record = tee_assessment(project, admin, engine, features)
    assert record.settlement == "pending" and record.tee_signature is not None

    service = TeeSettlement(engine, chain.provider.web3, relay.address, relayer.address)
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status.startswith("settled 0x") and record.settlement == done.status
    tx_hash = done.status.split()[1]
    (event,) = chain.provider.get_receipt(tx_hash).decode_logs(relay.IndividualSettlement)
    signed = record.tee_signature
    assert event.teeId == signed.tee_id
    assert (event.inputHash, event.outputHash) == (record.input_hash, record.output_hash)
    assert event.event_arguments["timestamp"] == signed.timestamp
    assert event.signature == signed.signature
    assert relay.isSettled(record.input_hash, record.output_hash, signed.timestamp)
    assert record not in service.pending()  # nothing is settled twice

    engine.book.reopen(record)  # back to "pending": a replayed settlement is refused on chain
    (again,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert again.status == "failed: Already settled"


def test_a_tampered_output_hash_is_refused(project, chain, admin, relayer, engine):
    relay = deploy_settlement(project, chain, admin, relayer, engine.enclave)
    record = tee_assessment(project, admin, engine, [2.7, 0.2, 0.1, 7.5])
    record.output_hash = bytes([record.output_hash[0] ^ 1]) + record.output_hash[1:]
    service = TeeSettlement(engine, chain.provider.web3, relay.address, relayer.address)
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status.startswith("failed: signature does not verify off chain")


def test_an_unregistered_enclave_is_refused(project, chain, admin, relayer, engine):
    relay = deploy_settlement(project, chain, admin, relayer, enclave=None)
    record = tee_assessment(project, admin, engine, [1.2, 0.9, 1.1, 0.5])
    service = TeeSettlement(engine, chain.provider.web3, relay.address, relayer.address)
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status == "failed: Invalid signature"


def test_an_eth_call_leaves_no_record_to_settle(project, chain, admin, engine):
    """`eth_call` runs the precompile, but nothing happened on chain: a record of it would
    let a settler attest an inference no block contains."""
    pool = admin.deploy(project.RiskLendingPool, "credit_risk")
    pool.setInferenceMode(TEE_MODE, sender=admin)
    before = set(engine.records)
    pool.assess.call(tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0]), sender=admin)
    pool.assess.estimate_gas_cost(tuple(to_number(x) for x in [2.2, 0.3, 0.4, 6.0]), sender=admin)
    assert set(engine.records) == before
