"""Issue 15 item 6, a composed workflow: `LoanReviewPipeline.review` chains a ZK model, a
VANILLA model and a TEE LLM call in one transaction. Each call gets its own inference id,
record and 0xF4 event, the receipt lists all three, each output feeds the next step, and the
settlement service settles the verifiable ones (the ZK proof through `ZkInferenceSettlement`,
the enclave's signature through `InferenceSettlementRelay`)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from eth_utils import keccak

from ogkit import zk
from ogkit.contracts import load
from precompiles.fixed_point import to_number
from precompiles.inference.llm_types import LLMInferenceMode
from precompiles.inference.types import ModelInferenceMode

VANILLA, ZK = int(ModelInferenceMode.VANILLA), int(ModelInferenceMode.ZK)
LLM_TEE = int(LLMInferenceMode.TEE)  # the LLM functions have their own enum: TEE is 1
SIGNALS = (1.25, 0.5)  # upstream_demo: 2.0 * 1.25 - 0.5 * 0.5 + 0.25 = 2.5
FEATURES = (0.5, 0.5, 2.0)
PROMPT_OF = "Borrower risk is {}. Decision:"


@pytest.fixture(scope="module")
def zk_ready(model_store):
    """upstream_demo set up for proving in the chain's store (reused if already done)."""
    return zk.setup(model_store, "upstream_demo")


@pytest.fixture(scope="module")
def reviewed(project, owner, zk_ready):
    pipeline = owner.deploy(project.LoanReviewPipeline, "upstream_demo", "credit_risk", "tiny-llm")
    signals = tuple(to_number(x) for x in SIGNALS)
    features = tuple(to_number(x) for x in FEATURES)
    receipt = pipeline.review(signals, features, 8, sender=owner)
    return pipeline, receipt


def credit_label(model_store, features: list[float]) -> str:
    """credit_risk run by onnxruntime directly: what the VANILLA step must have seen."""
    session = ort.InferenceSession(str(model_store.resolve("credit_risk").path))
    (label,) = session.run(["label"], {"features": np.array([features], dtype=np.float32)})[0]
    return str(label)


def test_one_transaction_chains_three_calls_in_three_modes(reviewed, owner, model_store):
    pipeline, receipt = reviewed
    score, label, llm = receipt.inferences
    assert [c["function"] for c in (score, label, llm)] == [
        "runModelInference",
        "runModelInference",
        "runLLMCompletion",
    ]
    assert [c["mode"] for c in (score, label, llm)] == [ZK, VANILLA, LLM_TEE]
    assert [c["modelId"] for c in (score, label, llm)] == [
        "upstream_demo",
        "credit_risk",
        "tiny-llm",
    ]
    assert len({c["inferenceId"] for c in (score, label, llm)}) == 3
    assert all(c["caller"] == pipeline.address.lower() for c in (score, label, llm))

    # each step's output is the next step's input: 2.5 scored, classified, explained
    (event,) = [e for e in receipt.events if e.event_name == "Reviewed"]
    assert (event.scoreValue, event.scoreDecimals) == to_number(2.5)
    assert event.label == credit_label(model_store, [2.5, *FEATURES])
    review = pipeline.reviews(owner)
    assert (review.label, review.note) == (event.label, event.note)
    assert event.note != ""  # tiny-llm, greedy: deterministic text
    assert llm["outputHash"] == "0x" + keccak(text=event.note).hex()


def test_each_verifiable_call_settles(reviewed, chain, zk_ready):
    provider = chain.provider
    _, receipt = reviewed
    score, label, llm = receipt.inferences
    records = [
        provider.wait_for_settlement(c["inferenceId"], timeout=240) for c in receipt.inferences
    ]
    assert records[1].settlement == "not required"
    for record in (records[0], records[2]):
        assert record.settlement == f"settled {record.settlement_tx}"
    assert zk.verify(zk_ready, records[0].zk_proof)

    contracts = provider.settlement.contracts
    web3 = provider.web3
    zk_settlement = web3.eth.contract(
        address=contracts.zk_settlement, abi=load("ZkInferenceSettlement").abi
    )
    tx = web3.eth.get_transaction_receipt(records[0].settlement_tx)
    (proved,) = zk_settlement.events.ZkSettlement().process_receipt(tx)
    assert "0x" + proved.args.inferenceId.hex() == score["inferenceId"]

    relay = web3.eth.contract(address=contracts.relay, abi=load("InferenceSettlementRelay").abi)
    tx = web3.eth.get_transaction_receipt(records[2].settlement_tx)
    (signed,) = relay.events.IndividualSettlement().process_receipt(tx)
    assert "0x" + signed.args.outputHash.hex() == llm["outputHash"]
