"""Inference records follow the chain back: a snapshot revert (Ape's isolation between
tests) takes the records of the blocks it removed, so the settlement service never settles
an inference that a later test's chain does not hold."""

from __future__ import annotations

import pytest

from og_examples.models import sample_input
from precompiles.fixed_point import to_number

TEE = 2


def test_a_reverted_tee_inference_is_forgotten_and_never_settled(chain, pool, accounts):
    provider, admin = chain.provider, accounts[0]
    engine = provider.inference_engine
    features = sample_input("credit_risk")["features"].reshape(-1)
    pool.setInferenceMode(TEE, sender=admin)
    relayer_nonce = provider.web3.eth.get_transaction_count(provider.settlement.relayer.address)

    with provider.settlement.paused():
        snapshot = chain.snapshot()
        receipt = pool.assess(tuple(to_number(x) for x in features), sender=admin)
        (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
        inference_id = event.inferenceID.lower().removeprefix("0x")
        assert engine.records[inference_id].settlement == "pending"
        assert inference_id in engine.unsettled
        chain.restore(snapshot)
        assert inference_id not in engine.records
        assert inference_id not in engine.unsettled

    assert provider.settlement.run_once() == []
    assert provider.web3.eth.get_transaction_count(provider.settlement.relayer.address) == (
        relayer_nonce
    )
    with pytest.raises(KeyError, match="no inference record"):
        provider.wait_for_settlement(inference_id, timeout=0.2)


def test_records_of_blocks_a_revert_keeps_stay(chain, pool, accounts):
    provider, admin = chain.provider, accounts[0]
    features = sample_input("credit_risk")["features"].reshape(-1)
    pool.setInferenceMode(TEE, sender=admin)
    receipt = pool.assess(tuple(to_number(x) for x in features), sender=admin)
    (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
    snapshot = chain.snapshot()
    chain.mine(3)
    chain.restore(snapshot)
    record = provider.wait_for_settlement(event.inferenceID, timeout=60)
    assert record.settlement == f"settled {record.settlement_tx}"


def test_a_pass_whose_work_a_revert_took_sends_nothing(chain, pool, accounts, monkeypatch):
    """A pass sees a TEE record, waits for the chain to go quiet, and meanwhile a revert takes
    the record: the pass must find nothing to do under the lock, and send nothing (it once
    deployed the settlement contracts anyway, into a later test's chain)."""
    provider, admin = chain.provider, accounts[0]
    service = provider.settlement
    features = sample_input("credit_risk")["features"].reshape(-1)
    relayer = service.relayer.address
    with service.paused():
        snapshot = chain.snapshot()
        before = provider.web3.eth.get_transaction_count(relayer)
        pool.setInferenceMode(TEE, sender=admin)
        pool.assess(tuple(to_number(x) for x in features), sender=admin)
        assert service.engine.book.has_work()

        def revert_while_waiting() -> float:
            chain.restore(snapshot)  # what a test's isolation does meanwhile
            return 60.0  # quiet: go on

        monkeypatch.setattr(service, "idle_seconds", revert_while_waiting)
        assert service.run_once() == []
    assert not service.engine.book.has_work()
    assert provider.web3.eth.get_transaction_count(relayer) == before
