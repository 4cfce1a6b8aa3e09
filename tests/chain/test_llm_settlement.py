"""TEE-mode LLM answers settle like model results: one inference node signs both with one
enclave key into one record book, and the settlement service (started with the Ape
provider) settles the gateway-style signature through `InferenceSettlementRelay`."""

from __future__ import annotations

import pytest

from ogkit.contracts import load
from ogkit.settlement.onchain import emitted_on_chain
from precompiles.inference.llm_types import LLMInferenceMode

TEE = int(LLMInferenceMode.TEE)


@pytest.fixture
def provider(chain, model_store):
    return chain.provider


def test_models_and_llms_share_one_node(provider):
    node = provider.inference_node
    assert provider.inference_engine is node.engine and provider.llm_engine is node.llm_engine
    assert node.engine.book is node.llm_engine.book is node.book
    assert node.engine.cache is node.llm_engine.cache
    assert provider.inference_engine.enclave is provider.llm_engine.enclave


def test_a_tee_llm_answer_settles_on_chain(project, accounts, provider):
    owner = accounts[0]
    assistant = owner.deploy(project.LLMAssistant, "tiny-llm", TEE)
    receipt = assistant.complete("A settled answer", 12, [], 0, sender=owner)
    (event,) = [e for e in receipt.events if e.event_name == "LLMCompletionEvent"]
    record = provider.wait_for_settlement(event.inferenceID, timeout=60)
    assert record.settlement == f"settled {record.settlement_tx}"
    assert record.tee_signature is record.tee.signed
    assert emitted_on_chain(provider.web3, record)

    relay = provider.web3.eth.contract(
        address=provider.settlement.contracts.relay, abi=load("InferenceSettlementRelay").abi
    )
    tx = provider.web3.eth.get_transaction_receipt(record.settlement_tx)
    (settled,) = relay.events.IndividualSettlement().process_receipt(tx)
    signed = record.tee_signature
    assert settled.args.teeId == signed.tee_id == provider.llm_engine.enclave.tee_id
    assert (settled.args.inputHash, settled.args.outputHash) == (
        record.request_hash,
        record.output_hash,
    )
    assert relay.functions.isSettled(
        record.request_hash, record.output_hash, signed.timestamp
    ).call()


def test_a_vanilla_llm_answer_needs_no_settlement(project, accounts, provider):
    owner = accounts[0]
    assistant = owner.deploy(project.LLMAssistant, "tiny-llm", int(LLMInferenceMode.VANILLA))
    receipt = assistant.complete("A settled answer", 12, [], 0, sender=owner)
    (event,) = [e for e in receipt.events if e.event_name == "LLMCompletionEvent"]
    assert provider.wait_for_settlement(event.inferenceID, timeout=5).settlement == ("not required")


def test_a_reverted_tee_llm_answer_is_forgotten(chain, project, accounts, provider):
    """LLM records live in the same book, so they follow snapshot reverts like models'."""
    owner = accounts[0]
    assistant = owner.deploy(project.LLMAssistant, "tiny-llm", TEE)
    with provider.settlement.paused():
        snapshot = chain.snapshot()
        receipt = assistant.complete("A reverted answer", 8, [], 0, sender=owner)
        (event,) = [e for e in receipt.events if e.event_name == "LLMCompletionEvent"]
        assert provider.llm_engine.records[event.inferenceID].settlement == "pending"
        assert event.inferenceID in provider.inference_engine.unsettled
        chain.restore(snapshot)
        assert event.inferenceID not in provider.llm_engine.records
    assert provider.settlement.run_once() == []
