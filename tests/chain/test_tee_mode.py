"""TEE-mode inference: the engine's (simulated) enclave signs each result the way
OpenGradient's TEE gateway does, and the signature checks off chain and on chain (0x900)."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3

from og_examples.install import install_examples
from og_examples.models import sample_input
from ogkit.chain import new_tester
from ogkit.inference import InferenceEngine
from ogkit.models.store import ModelStore
from ogkit.tee import verify_result_signature
from ogkit.tee.signing import message_hash
from precompiles.addresses import OG_INFERENCE_ADDRESS, TEE_VERIFIER_ADDRESS
from precompiles.fixed_point import to_number
from precompiles.inference.model_codec import encode_model_inference_request
from precompiles.inference.precompile import RUN_MODEL_INFERENCE
from precompiles.inference.types import (
    ModelInferenceMode,
    ModelInferenceRequest,
    ModelInput,
    NumberTensor,
)

VERIFY_RSA_PSS = keccak(text="verifyRSAPSS(bytes,bytes32,bytes)")[:4]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> InferenceEngine:
    store = ModelStore(tmp_path_factory.mktemp("tee-mode") / "store")
    install_examples(store)
    return InferenceEngine(store)


@pytest.fixture(scope="module")
def w3(engine) -> Web3:
    return Web3(EthereumTesterProvider(new_tester(engine)))


def credit_risk_call(mode: ModelInferenceMode) -> bytes:
    features = sample_input("credit_risk")["features"]
    tensor = NumberTensor(
        "features", tuple(to_number(x) for x in features.reshape(-1)), features.shape
    )
    request = ModelInferenceRequest(int(mode), "credit_risk", ModelInput((tensor,), ()))
    return RUN_MODEL_INFERENCE + encode_model_inference_request(request)


def send(w3: Web3, data: bytes) -> dict:
    tx = {
        "from": w3.eth.accounts[0],
        "to": Web3.to_checksum_address(OG_INFERENCE_ADDRESS),
        "data": data,
        "gas": 2_000_000,
    }
    return w3.eth.get_transaction_receipt(w3.eth.send_transaction(tx))


def verify_on_chain(w3: Web3, key_der: bytes, digest: bytes, signature: bytes) -> bool:
    data = VERIFY_RSA_PSS + encode(["bytes", "bytes32", "bytes"], [key_der, digest, signature])
    out = w3.eth.call({"to": Web3.to_checksum_address(TEE_VERIFIER_ADDRESS), "data": data})
    return decode(["bool"], out)[0]


def test_tee_result_is_signed_and_verifies(w3, engine):
    receipt = send(w3, credit_risk_call(ModelInferenceMode.TEE))
    assert receipt["status"] == 1
    block = w3.eth.get_block(receipt["blockNumber"])
    (record,) = [r for r in engine.records.values() if r.block_number == receipt["blockNumber"]]
    signed = record.tee_signature
    assert signed is not None and record.settlement == "pending"
    assert (signed.input_hash, signed.output_hash) == (record.input_hash, record.output_hash)
    assert signed.timestamp == block["timestamp"]  # block time, not the wall clock
    assert signed.tee_id == keccak(engine.enclave.signing_public_key_der)
    assert signed.message_hash == message_hash(
        record.input_hash, record.output_hash, signed.timestamp
    )
    key = engine.enclave.signing_public_key_der
    assert verify_result_signature(
        key, record.input_hash, record.output_hash, signed.timestamp, signed.signature
    ).valid
    assert verify_on_chain(w3, key, signed.message_hash, signed.signature)


def test_a_tampered_output_hash_fails(w3, engine):
    receipt = send(w3, credit_risk_call(ModelInferenceMode.TEE))
    (record,) = [r for r in engine.records.values() if r.block_number == receipt["blockNumber"]]
    signed = record.tee_signature
    forged = bytes([record.output_hash[0] ^ 1]) + record.output_hash[1:]
    key = engine.enclave.signing_public_key_der
    assert not verify_result_signature(
        key, record.input_hash, forged, signed.timestamp, signed.signature
    ).valid
    assert not verify_on_chain(
        w3, key, message_hash(record.input_hash, forged, signed.timestamp), signed.signature
    )


@pytest.mark.parametrize("mode", [ModelInferenceMode.VANILLA, ModelInferenceMode.ZK])
def test_other_modes_are_not_tee_signed(w3, engine, mode):
    receipt = send(w3, credit_risk_call(mode))
    (record,) = [r for r in engine.records.values() if r.block_number == receipt["blockNumber"]]
    assert record.mode is mode and record.tee_signature is None
