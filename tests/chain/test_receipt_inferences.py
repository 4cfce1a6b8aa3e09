"""`receipt.inferences` on the in-process chain: each 0xF4 call of a transaction, in order,
with its function, mode, model, caller, hashes and settlement."""

from __future__ import annotations

import pytest

from ogkit.inference.receipts import CALLS
from ogkit.inference.records import record_key
from precompiles.inference.precompile import RUN_MODEL_INFERENCE

# (value, decimals) inputs: upstream_demo takes [2], credit_risk [1, 4]
DEMO = (0, "upstream_demo", ([("input", [(5, 1), (-25, 2)], [2])], []))
CREDIT = (2, "credit_risk", ([("features", [(3, 0), (25, 1), (1, 0), (-4, 1)], [1, 4])], []))


@pytest.fixture(scope="module")
def probe(project, owner, model_store):
    return owner.deploy(project.InferenceProbe)


def test_a_receipt_lists_both_models_in_their_modes(probe, owner, engine):
    receipt = probe.inferBoth(DEMO, CREDIT, sender=owner)

    first, second = receipt.inferences
    assert [c["modelId"] for c in (first, second)] == ["upstream_demo", "credit_risk"]
    assert [c["mode"] for c in (first, second)] == [0, 2]  # VANILLA, TEE
    for call in (first, second):
        assert call["precompile"] == "0x" + "00" * 19 + "f4"
        assert call["function"] == "runModelInference"
        assert call["selector"] == "0x" + RUN_MODEL_INFERENCE.hex()
        assert call["caller"] == probe.address.lower()
        record = engine.records[record_key(call["inferenceId"])]
        assert call["inputHash"] == "0x" + record.input_hash.hex()
        assert call["outputHash"] == "0x" + record.output_hash.hex()
        assert call["modelHash"] == "0x" + record.model_hash.hex()
    assert first["settlement"] == "not required"
    assert second["settlement"] in ("pending", f"settled {second['settlementTx']}")
    assert first["inferenceId"] != second["inferenceId"]
    events = [log for log in receipt.logs if log["address"].lower() == first["precompile"]]
    assert [first["logIndex"], second["logIndex"]] == [log["logIndex"] for log in events]


def test_a_transaction_without_inference_lists_none(probe, owner):
    receipt = owner.transfer(owner, 1)
    assert receipt.inferences == []


def test_every_event_topic_names_its_function():
    assert sorted(function for function, _ in CALLS.values()) == [
        "runLLMChat",
        "runLLMCompletion",
        "runModelInference",
    ]
