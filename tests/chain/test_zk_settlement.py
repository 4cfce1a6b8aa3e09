"""HACA for ZK mode, end to end on the AI chain: a contract calls a model in ZK mode and gets
its output at once; the engine's prover queue proves the inference in the background and
verifies the proof off chain with ezkl; `ZkSettlement` deploys and registers the model's EZKL
verifier and settles the proof through `ZkInferenceSettlement`, which re-verifies it on chain.

Attacks (each refused off chain by ezkl and on chain by the contract, state left unchanged): a
tampered proof, a tampered public output, a valid proof of another model, a replay.

Two models are set up for ZK once per session in the chain's store (`zk.setup` reuses a
complete setup, ~8 s each otherwise): `upstream_demo` (A) and `zk_other` (B, x0 + x1).
"""

from __future__ import annotations

import dataclasses
import time

import ape
import numpy as np
import pytest
from eth_abi.packed import encode_packed
from eth_utils import keccak
from store_support import UPSTREAM_STYLE_CID
from tee_support import RELAY_ROLE
from zk_support import OTHER_MODEL, bump_output, flip_proof_byte, other_model

from og_examples.models import sample_input
from ogkit import zk
from ogkit.inference.engine import InferenceRecord
from ogkit.inference.prover_queue import ProverQueue, no_setup_status
from ogkit.inference.records import SettlementState
from ogkit.models.cid import cid_of_sha256, sha256_of_cid
from ogkit.settlement import ZkSettlement
from ogkit.settlement.zk import settle_proof_args
from precompiles.fixed_point import to_array
from precompiles.inference.types import ModelInferenceMode

PROVE_TIMEOUT_S = 180
MODEL_A = "upstream_demo"


@pytest.fixture(scope="session")
def zk_models(model_store):
    """(A, B) artifacts in the chain's store."""
    model_store.add(other_model(), OTHER_MODEL)
    a = zk.setup(model_store, MODEL_A)
    b = zk.setup(model_store, OTHER_MODEL, calibration_inputs=[sample_input(MODEL_A)])
    return a, b


@pytest.fixture(scope="module")
def engine(chain, zk_models):
    """These tests drive a settler by hand, so the provider's own service is held off."""
    with chain.provider.settlement.paused():
        yield chain.provider.inference_engine


@pytest.fixture(scope="module")
def zk_call(project, accounts, engine):
    """One ZK-mode transaction, and what its record looked like the moment it returned."""
    consumer = accounts[0].deploy(project.UpstreamStyleConsumer, UPSTREAM_STYLE_CID)
    started = time.perf_counter()
    receipt = consumer.runZkmlModel(sender=accounts[0])
    elapsed = time.perf_counter() - started
    (event,) = receipt.decode_logs()
    record = engine.records[event.inferenceID]
    at_return = (record.settlement, record.zk_proof)
    return consumer, receipt, event, record, at_return, elapsed


@pytest.fixture(scope="module")
def proved(engine, zk_call) -> InferenceRecord:
    record = zk_call[3]
    return engine.prover_queue.wait(record.inference_id, timeout=PROVE_TIMEOUT_S)


@pytest.fixture(scope="module")
def contract(project, accounts):
    admin, relayer = accounts[0], accounts[2]
    settlement = admin.deploy(project.ZkInferenceSettlement)
    settlement.grantRole(RELAY_ROLE, relayer, sender=admin)
    return settlement


@pytest.fixture(scope="module")
def service(chain, engine, contract, accounts, zk_models):
    """The settler, with both models' verifiers deployed and registered once for the module."""
    service = ZkSettlement(
        engine, chain.provider.web3, contract.address, accounts[2].address, accounts[0].address
    )
    for artifacts in zk_models:
        service.verifier_for(artifacts, model_hash_of(artifacts))
    return service


def model_hash_of(artifacts: zk.ZkArtifacts) -> bytes:
    """The engine's model hash (sha256 of the file) of a CID."""
    digest = sha256_of_cid(artifacts.cid)
    assert digest is not None
    return digest


@pytest.fixture
def swap_record(engine, proved):
    """Put a modified copy of the proved record in the engine for one test, then restore it."""
    original = engine.records[proved.inference_id]

    def swap(**changes) -> InferenceRecord:
        copy = dataclasses.replace(proved, **changes)
        engine.records[proved.inference_id] = copy
        return copy

    yield swap
    engine.records[proved.inference_id] = original


def instances_of(proof: zk.ZkProof) -> list[int]:
    return [int.from_bytes(bytes.fromhex(felt), "little") for felt in proof.instances[0]]


# --- the prover queue -------------------------------------------------------------------------


def test_a_zk_call_returns_before_its_proof_exists(zk_call, proved, zk_models):
    consumer, receipt, event, record, (status, proof), elapsed = zk_call
    assert status in ("pending", "proving") and proof is None
    assert event.request[0] == int(ModelInferenceMode.ZK)
    # the output is in the transaction already, exactly what the model computed
    (output,) = event.response[0]
    assert tuple(consumer.resultNumber()) == tuple(output[1][0])
    print(f"\nZK transaction returned in {elapsed:.2f} s, proof not yet made")
    assert proved is record and record.settlement == "proved"
    assert record.zk_verified is True
    assert zk.verify(zk_models[0], record.zk_proof) is True
    step = 2.0 ** -zk_models[0].settings["run_args"]["input_scale"]
    recorded = to_array(tuple(output[1]), np.dtype(np.float64))
    np.testing.assert_allclose(record.zk_proof.outputs["output"], recorded, rtol=0, atol=step)


def test_a_model_without_zk_setup_fails_with_the_fix(model_store):
    queue = ProverQueue(model_store)
    cid = model_store.resolve("volatility").cid
    record = zk_record("no-setup", cid)
    queue.submit(record, sample_input("volatility"), [("forecast", np.zeros(1))])
    assert queue.wait("no-setup", timeout=30) is record
    assert record.settlement == (
        f"failed: model {cid} has no ZK setup (run `ogkit models zk-setup {cid}`)"
    )
    assert record.zk_proof is None and len(queue) == 0


def test_a_proof_of_other_outputs_than_recorded_fails(model_store, zk_models):
    """An inference node that reports an output its model does not compute gets no proof."""
    queue = ProverQueue(model_store)
    inputs = sample_input(MODEL_A)
    claimed = [("output", np.array([0.5], dtype=np.float32))]
    record = zk_record("wrong-output", zk_models[0].cid)
    queue.submit(record, inputs, claimed)
    with pytest.raises(TimeoutError, match="still 'p"):  # proving takes seconds
        queue.wait("wrong-output", timeout=0.01)
    with pytest.raises(KeyError):
        queue.wait("never-queued", timeout=0.01)
    queue.wait("wrong-output", timeout=PROVE_TIMEOUT_S)
    assert record.settlement.startswith(
        "failed: proved output 'output' differs from the recorded output by 0.329, "
    )
    assert record.settlement.endswith("more than the quantisation tolerance (0.000244)")
    assert record.zk_verified is True  # a valid proof, of another result


def zk_record(inference_id: str, cid: str) -> InferenceRecord:
    return InferenceRecord(
        inference_id=inference_id,
        model_hash=sha256_of_cid(cid),
        input_hash=b"\x01" * 32,
        output_hash=b"\x02" * 32,
        mode=ModelInferenceMode.ZK,
        block_number=0,
        state=SettlementState.PENDING,
    )


# --- settlement, end to end -------------------------------------------------------------------


def test_a_proved_zk_inference_settles_on_chain(
    chain, engine, contract, service, proved, zk_models, swap_record
):
    record = swap_record()  # settle a copy: the module's other tests reuse the proved record
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status.startswith("settled 0x") and record.settlement == done.status
    receipt = chain.provider.get_receipt(done.status.split()[1])
    (event,) = receipt.decode_logs(contract.ZkSettlement)
    proof = record.zk_proof
    instances = instances_of(proof)
    verifier = contract.verifiers(record.model_hash)
    assert event.inferenceId == bytes.fromhex(record.inference_id)
    assert event.modelHash == record.model_hash
    assert event.verifier == verifier == service.verifier_for(zk_models[0], record.model_hash)
    assert (event.inputHash, event.outputHash) == (record.input_hash, record.output_hash)
    assert list(event.instances) == instances
    assert event.instancesHash == keccak(encode_packed(["uint256[]"], [instances]))
    assert event.proofHash == keccak(proof.proof)
    assert contract.settled(bytes.fromhex(record.inference_id)) is True
    gas = receipt.gas_used
    print(f"\nsettleProof gas {gas:,}")
    assert 300_000 < gas < 2_000_000
    assert record not in service.pending()  # settled: never submitted again


def test_a_service_pass_settles_one_proof_at_a_time(engine, service, proved, swap_record):
    """A `settleProof` runs the verifier's pairing in py-evm (~1 s under the chain's lock):
    the service's pass takes the oldest proof only, so the chain's requests get in between."""
    swap_record()
    # a second proved record (its id was never emitted, so its own settlement fails: a pass
    # still takes it alone)
    extra = dataclasses.replace(proved, inference_id=keccak(text="one proof a pass").hex())
    engine.records[extra.inference_id] = extra
    before = [r.inference_id for r in service.pending()]
    assert len(before) >= 2 and extra.inference_id in before
    (done,) = service.settle_pass()
    assert done.inference_id == before[0]
    assert [r.inference_id for r in service.pending()] == before[1:]
    while service.pending():  # leave nothing proved behind for the provider's own service
        assert len(service.settle_pass()) == 1
    assert extra.settlement == "failed: not in a mined transaction (eth_call or reverted)"


def test_a_replayed_settlement_is_refused(
    contract, service, proved, zk_models, swap_record, accounts
):
    args = settle_proof_args(proved, zk_models[0], proved.zk_proof)
    contract.settleProof(*args, sender=accounts[2])
    with ape.reverts("Already settled"):
        contract.settleProof(*args, sender=accounts[2])
    record = swap_record()  # the settler tries again: the contract's reason, on the record
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status == "failed: Already settled" == record.settlement


# --- attacks ----------------------------------------------------------------------------------


def test_a_tampered_proof_is_refused_off_and_on_chain(
    contract, service, proved, zk_models, swap_record, accounts
):
    tampered = flip_proof_byte(proved.zk_proof)
    assert zk.verify(zk_models[0], tampered) is False
    record = swap_record(zk_proof=tampered)
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status == "failed: ezkl rejects the proof off chain; not submitted"
    assert record.zk_verified is False
    with ape.reverts("Invalid proof"):
        contract.settleProof(*settle_proof_args(proved, zk_models[0], tampered), sender=accounts[2])
    assert contract.settled(bytes.fromhex(proved.inference_id)) is False


def test_a_tampered_public_output_is_refused_off_and_on_chain(
    contract, service, proved, zk_models, swap_record, accounts
):
    tampered = bump_output(proved.zk_proof)
    assert instances_of(tampered) != instances_of(proved.zk_proof)
    assert zk.verify(zk_models[0], tampered) is False
    record = swap_record(zk_proof=tampered)
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status == "failed: ezkl rejects the proof off chain; not submitted"
    with ape.reverts("Invalid proof"):
        contract.settleProof(*settle_proof_args(proved, zk_models[0], tampered), sender=accounts[2])
    assert contract.settled(bytes.fromhex(proved.inference_id)) is False


def test_a_proof_of_another_model_is_refused(
    contract, service, proved, zk_models, swap_record, accounts
):
    a, b = zk_models
    proof_b = zk.prove(b, sample_input(MODEL_A))  # valid, for model B
    assert zk.verify(b, proof_b) is True and zk.verify(a, proof_b) is False
    record = swap_record(zk_proof=proof_b)
    (done,) = [s for s in service.settle_pending() if s.inference_id == record.inference_id]
    assert done.status == "failed: ezkl rejects the proof off chain; not submitted"
    # submitted directly for model A's record: A's verifier refuses it
    args = settle_proof_args(proved, b, proof_b)
    with ape.reverts("Invalid proof"):
        contract.settleProof(*args, sender=accounts[2])
    assert contract.settled(bytes.fromhex(proved.inference_id)) is False
    # the same proof is valid under B's own verifier (what the contract checks is the pair)
    model_b = model_hash_of(b)
    assert cid_of_sha256(model_b) == b.cid
    receipt = contract.settleProof(args[0], model_b, *args[2:], sender=accounts[2])
    (event,) = receipt.decode_logs(contract.ZkSettlement)
    assert event.modelHash == model_b and event.verifier == contract.verifiers(model_b)


def test_unknown_models_and_strangers_are_refused(contract, proved, zk_models, accounts):
    args = settle_proof_args(proved, zk_models[0], proved.zk_proof)
    with ape.reverts("No verifier for model"):
        contract.settleProof(args[0], b"\x07" * 32, *args[2:], sender=accounts[2])
    with ape.reverts(contract.AccessControlUnauthorizedAccount):
        contract.settleProof(*args, sender=accounts[3])
    with ape.reverts(contract.AccessControlUnauthorizedAccount):
        contract.setVerifier(args[1], accounts[3], sender=accounts[2])
    with ape.reverts("Verifier has no code"):
        contract.setVerifier(args[1], accounts[3], sender=accounts[0])
    assert contract.settled(args[0]) is False


def test_the_engine_queues_a_zk_inference_once_and_again_after_a_failure(tmp_path):
    """Replays (eth_call, gas estimates, the mined transaction) share an inference id: a
    record in flight or proved is kept; one whose proving failed is queued again."""
    from eth_abi import encode

    from og_examples.install import install_examples
    from ogkit.inference.engine import InferenceEngine
    from ogkit.models.store import ModelStore
    from precompiles.host import CallContext
    from precompiles.inference.model_codec import (
        MODEL_INFERENCE_REQUEST,
        RUN_MODEL_INFERENCE_SIGNATURE,
    )
    from precompiles.inference.precompile import run

    store = ModelStore(tmp_path / "store")  # no ZK setup in it
    install_examples(store)
    engine = InferenceEngine(store)
    request = (int(ModelInferenceMode.ZK), MODEL_A, ([("input", [(1, 0), (2, 0)], [2])], []))
    data = keccak(text=RUN_MODEL_INFERENCE_SIGNATURE)[:4] + encode(
        [MODEL_INFERENCE_REQUEST], [request]
    )
    context = CallContext(b"\x01" * 20, b"\x02" * 20, 3, 0, 10**7)

    assert not run(data, context, engine).reverted
    (first,) = engine.records.values()
    engine.prover_queue.wait(first.inference_id, timeout=30)
    assert first.settlement == no_setup_status(store.resolve(MODEL_A).cid)

    assert not run(data, context, engine).reverted  # after a failure: a new record, queued
    again = engine.records[first.inference_id]
    assert again is not first and first.inference_id in engine.prover_queue
    engine.prover_queue.wait(first.inference_id, timeout=30)
    assert again.settlement == first.settlement

    again.state = SettlementState.PROVED  # as if proved: a replay keeps the record as it is
    assert not run(data, context, engine).reverted
    assert engine.records[first.inference_id] is again and again.settlement == "proved"
