"""The plugin's testing API and fixtures (`og`, `mock_model`) on `opengradient:local:test`,
loaded through the `pytest11` entry point as in any user project: model runs, records,
`wait_for_settlement`, and mocked model outputs. The same calls on the node, and the two
providers' records compared: test_og_fixtures_user_project.py."""

from __future__ import annotations

import pytest
from store_support import UPSTREAM_STYLE_CID

from ape_opengradient.inference_api import InferenceInfo, LocalInferenceAPI
from ape_opengradient.pytest_plugin import ScopedMocks
from ogkit.chain.genesis import INFERENCE_HUB_ADDRESS
from ogkit.contracts import load
from ogkit.inference import MockError
from precompiles.host import ModelNotFound
from precompiles.inference.types import ModelInferenceMode

DEMO = "upstream_demo"
"""output = 2 a - 0.5 b + 0.25 (float32)"""


@pytest.fixture(scope="module")
def hub(chain, model_store):
    """The genesis hub from its committed ABI, as a user project (no contracts) reaches it."""
    return chain.contracts.instance_at(INFERENCE_HUB_ADDRESS, abi=load("InferenceHub").abi)


def run(hub, sender, numbers, mode=0, model=DEMO):
    """One `hub.run` transaction; (inference id, output numbers) from its 0xF4 event."""
    receipt = hub.run(model, mode, ((("input", tuple(numbers), (2,)),), ()), sender=sender)
    (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
    numbers_out = [(int(v), int(d)) for v, d in event.response[0][0][1]]
    run.last_tx = receipt.txn_hash
    return event.inferenceID, numbers_out


def test_the_fixtures_are_the_plugins(og, mock_model, chain):
    assert isinstance(og, ScopedMocks)
    assert isinstance(chain.provider.og, LocalInferenceAPI)
    assert og.api is chain.provider.og
    assert mock_model == og.mock_model_output


def test_model_runs_count_real_runs_only(og, hub, accounts, chain):
    # an input no other test sends: the result cache lives as long as the test session
    before = og.model_runs
    first, out = run(hub, accounts[0], [(13, 1), (-27, 1)])
    assert out == [(42, 1)]  # 2 * 1.3 - 0.5 * -2.7 + 0.25
    assert og.model_runs == before + 1
    again, out = run(hub, accounts[0], [(13, 1), (-27, 1)])  # the same input: a cache hit
    assert out == [(42, 1)] and again != first
    assert og.model_runs == before + 1
    assert og.model_runs == chain.provider.inference_engine.model_runs  # the old API still


def test_records(og, hub, accounts, chain):
    inference_id, _ = run(hub, accounts[0], [(3, 0), (4, 0)])
    record = og.get_inference_record(inference_id)
    assert isinstance(record, InferenceInfo)
    engine_record = chain.provider.inference_engine.records[inference_id]
    assert record == InferenceInfo(
        inference_id="0x" + inference_id,
        model_id=DEMO,
        mode=ModelInferenceMode.VANILLA,
        block_number=chain.blocks.height,
        transaction_hash=record.transaction_hash,
        model_hash="0x" + engine_record.model_hash.hex(),
        input_hash="0x" + engine_record.input_hash.hex(),
        output_hash="0x" + engine_record.output_hash.hex(),
        settlement="not required",
        settlement_tx=None,
        mocked=False,
    )
    assert record.transaction_hash == run.last_tx
    assert og.get_inference_record(inference_id.upper()) == record
    assert og.inference_records() == [record]
    assert og.inference_records(chain.blocks.height) == [record]
    assert og.inference_records(chain.blocks.height - 1) != [record]
    assert og.wait_for_settlement(inference_id, timeout=5) == record


def test_a_rewound_transaction_leaves_no_record(og, hub, accounts, chain):
    snapshot = chain.snapshot()
    inference_id, _ = run(hub, accounts[0], [(5, 0), (6, 0)])
    assert og.get_inference_record(inference_id).block_number == chain.blocks.height
    chain.restore(snapshot)
    assert og.get_inference_record(inference_id) is None


def test_a_mock_answers_is_marked_and_is_not_counted(og, mock_model, hub, accounts):
    key = mock_model(DEMO, {"input": [1.5, 2]}, {"output": [42.25]})
    assert key.startswith("0x") and len(key) == 66
    before = og.model_runs
    inference_id, out = run(hub, accounts[0], [(15, 1), (2, 0)])
    assert out == [(4225, 2)]
    assert og.model_runs == before
    record = og.get_inference_record(inference_id)
    assert (record.mocked, record.settlement, record.settlement_tx) == (True, "mocked", None)
    assert og.wait_for_settlement(inference_id, timeout=0) == record
    # any other input runs the real model
    inference_id, out = run(hub, accounts[0], [(15, 1), (3, 0)])
    assert out == [(175, 2)]
    assert og.model_runs == before + 1
    assert og.get_inference_record(inference_id).mocked is False


def test_mocks_end_with_their_test(og, hub, accounts):
    # the same input as the mock in the test before: the real model answers
    assert len(og.engine.mocks) == 0
    before = og.model_runs
    _, out = run(hub, accounts[0], [(15, 1), (2, 0)])
    assert out == [(225, 2)]
    assert og.model_runs == before + 1


def test_a_mock_in_tee_mode_is_never_signed_or_settled(og, mock_model, hub, accounts):
    mock_model(UPSTREAM_STYLE_CID, {"input": ["0.125", "0.5"]}, {"output": [-1]})
    inference_id, out = run(hub, accounts[0], [(125, 3), (5, 1)], mode=2)
    assert out == [(-1, 0)]
    record = og.wait_for_settlement(inference_id, timeout=0)
    assert (record.mode, record.mocked, record.settlement, record.tee_signature) == (
        ModelInferenceMode.TEE,
        True,
        "mocked",
        None,
    )


def test_a_mock_stacks_and_can_be_removed(og, hub, accounts):
    outer = og.mock_model_output(DEMO, {"input": [7, 8]}, {"output": [1]})
    inner = og.mock_model_output(DEMO, {"input": [7.0, 8.0]}, {"output": [2]})
    assert inner == outer
    assert run(hub, accounts[0], [(7, 0), (8, 0)])[1] == [(2, 0)]
    assert og.remove_model_mock(inner) is True
    assert run(hub, accounts[0], [(7, 0), (8, 0)])[1] == [(1, 0)]
    assert og.clear_model_mocks() == 1
    assert og.remove_model_mock(outer) is False
    assert run(hub, accounts[0], [(7, 0), (8, 0)])[1] == [(1025, 2)]


@pytest.fixture(scope="module")
def module_mock(chain):
    with chain.provider.og.mocked(DEMO, {"input": [6, 6]}, {"output": [66]}) as key:
        yield key


def test_a_module_scoped_mock(og, module_mock, hub, accounts):
    assert run(hub, accounts[0], [(6, 0), (6, 0)])[1] == [(66, 0)]
    og.mock_model_output(DEMO, {"input": [6, 6]}, {"output": [67]})  # this test only
    assert run(hub, accounts[0], [(6, 0), (6, 0)])[1] == [(67, 0)]


def test_the_module_mock_outlives_a_test(og, module_mock, hub, accounts):
    # the test before replaced it for itself only
    inference_id, out = run(hub, accounts[0], [(6, 0), (6, 0)])
    assert out == [(66, 0)]
    assert og.get_inference_record(inference_id).mocked is True


def test_mocks_that_do_not_fit(og):
    with pytest.raises(ModelNotFound):
        og.mock_model_output("no-such-model", {"input": [1, 2]}, {"output": [1]})
    with pytest.raises(MockError, match=r"^unexpected input 'x'; model inputs are \['input'\]$"):
        og.mock_model_output(DEMO, {"x": [1, 2]}, {"output": [1]})
    assert og.keys == []
