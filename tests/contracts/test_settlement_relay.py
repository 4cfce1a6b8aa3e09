"""TEEInferenceVerifier, TEEBatchVerifier and InferenceSettlementRelay (contracts/verification/).

A simulated Nitro enclave registers in the TEERegistry with a real attestation document, then
signs results as OpenGradient's TEE gateway does: RSA-PSS over
keccak256(inputHash ‖ outputHash ‖ uint256 timestamp). Signatures are checked by 0x900.

The Merkle tree for `batchSettle` / `verifyProof` is ogkit.settlement.merkle's
StandardMerkleTree (checked against OpenZeppelin's JS library in tests/unit/test_merkle.py).
"""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak
from tee_support import deploy_registry, deploy_relay

from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, StandardMerkleTree, standard_leaf
from ogkit.tee import SimulatedEnclave
from ogkit.tee.signing import message_hash

LEAF_TYPES = list(SETTLEMENT_LEAF_TYPES)  # the facilitator's leaves
INDIVIDUAL_TOPIC = "0x74e71a1981c03bd0c36f3b1227f3ee2a34dca5d6fef25c4b2787e033ab60b782"
BATCH_TOPIC = "0xc2aff8d8a10a4543baabf39bd9ff45e7fc3881d19098df350a3b7f339e911127"


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def registry(project, chain, admin, enclave):
    registry = deploy_registry(project, chain, admin, enclave)
    assert registry.isTEEActive(enclave.tee_id)
    return registry


@pytest.fixture
def verifier(project, admin, registry):
    return admin.deploy(project.TEEBatchVerifier, registry)


@pytest.fixture
def relay(project, admin, relayer, verifier):
    return deploy_relay(project, admin, relayer, verifier)


def signed(enclave, chain, tag: bytes, offset: int = 0):
    return enclave.sign_result(
        keccak(tag + b"/in"), keccak(tag + b"/out"), chain.pending_timestamp + offset
    )


def verify(verifier, s, **overrides) -> bool:
    fields = {
        "tee_id": s.tee_id,
        "input_hash": s.input_hash,
        "output_hash": s.output_hash,
        "timestamp": s.timestamp,
        "signature": s.signature,
    } | overrides
    return verifier.verifySignature(*fields.values())


# --- TEEInferenceVerifier / TEEBatchVerifier -----------------------------------------------


def test_compute_message_hash(verifier):
    a, b = keccak(b"a"), keccak(b"b")
    assert verifier.computeMessageHash(a, b, 1_700_000_000) == message_hash(a, b, 1_700_000_000)


def test_verify_signature(chain, verifier, enclave):
    s = signed(enclave, chain, b"ok")
    assert verify(verifier, s)
    assert not verify(verifier, s, output_hash=keccak(b"tampered"))
    assert not verify(verifier, s, input_hash=keccak(b"tampered"))
    assert not verify(verifier, s, signature=s.signature[:-1] + bytes([s.signature[-1] ^ 1]))
    assert not verify(verifier, s, tee_id=b"\x22" * 32)  # unknown TEE: false, not a revert
    other = SimulatedEnclave().sign_result(s.input_hash, s.output_hash, s.timestamp)
    assert not verify(verifier, s, signature=other.signature)


def test_timestamp_window(chain, verifier, enclave):
    for offset, ok in ((-3500, True), (-3700, False), (200, True), (400, False)):
        assert verify(verifier, signed(enclave, chain, b"w", offset)) is ok, offset
        s = signed(enclave, chain, b"w", offset)
        assert verifier.verifySignatureNoTimestamp(
            s.tee_id, s.input_hash, s.output_hash, s.timestamp, s.signature
        )


def test_disabled_tee_fails_but_stale_heartbeat_does_not(chain, registry, verifier, enclave, admin):
    registry.setHeartbeatMaxAge(10, sender=admin)
    chain.mine(timestamp=chain.pending_timestamp + 60)
    assert not registry.isTEEActive(enclave.tee_id)
    s = signed(enclave, chain, b"hb")
    assert verify(verifier, s)  # og-evm checks enabled, not heartbeat freshness
    registry.disableTEE(enclave.tee_id, sender=admin)
    assert not verify(verifier, s)
    assert not verifier.verifySignatureNoTimestamp(
        s.tee_id, s.input_hash, s.output_hash, s.timestamp, s.signature
    )


def test_set_registry(project, verifier, registry, admin, accounts):
    tx = verifier.setRegistry(accounts[7], sender=admin)
    (event,) = tx.decode_logs(verifier.RegistryUpdated)
    assert (event.oldRegistry, event.newRegistry) == (registry.address, accounts[7].address)
    with ape.reverts(verifier.AccessControlUnauthorizedAccount):
        verifier.setRegistry(registry, sender=accounts[7])
    with ape.reverts(verifier.InvalidRegistryAddress):
        verifier.setRegistry("0x0000000000000000000000000000000000000000", sender=admin)


# --- InferenceSettlementRelay --------------------------------------------------------------


def test_settle_individual(chain, relay, relayer, enclave, accounts):
    user = accounts[8]
    s = signed(enclave, chain, b"settle")
    blob = b"walrus-blob-id-0001"
    tx = relay.settleIndividual(
        s.tee_id, s.input_hash, s.output_hash, s.timestamp, user, blob, s.signature, sender=relayer
    )
    (log,) = [x for x in tx.logs if x["address"] == relay.address]
    assert log["topics"][0].hex().removeprefix("0x") == INDIVIDUAL_TOPIC[2:]
    (event,) = tx.decode_logs(relay.IndividualSettlement)
    args = event.event_arguments
    assert args == {
        "teeId": s.tee_id,
        "ethAddress": user.address,
        "inputHash": s.input_hash,
        "outputHash": s.output_hash,
        "timestamp": s.timestamp,
        "walrusBlobId": blob,
        "signature": s.signature,
    }
    assert relay.isSettled(s.input_hash, s.output_hash, s.timestamp)
    assert relay.settled(s.message_hash)

    # our extension: the same result cannot be settled twice
    with ape.reverts("Already settled"):
        relay.settleIndividual(
            s.tee_id,
            s.input_hash,
            s.output_hash,
            s.timestamp,
            user,
            blob,
            s.signature,
            sender=relayer,
        )


def test_settle_individual_rejects_bad_signatures(chain, relay, relayer, enclave, accounts):
    user = accounts[8]
    s = signed(enclave, chain, b"bad")
    with ape.reverts("Invalid signature"):
        relay.settleIndividual(
            s.tee_id,
            s.input_hash,
            keccak(b"tampered"),
            s.timestamp,
            user,
            b"",
            s.signature,
            sender=relayer,
        )
    old = signed(enclave, chain, b"old", -4000)
    with ape.reverts("Invalid signature"):
        relay.settleIndividual(
            old.tee_id,
            old.input_hash,
            old.output_hash,
            old.timestamp,
            user,
            b"",
            old.signature,
            sender=relayer,
        )
    assert not relay.isSettled(s.input_hash, keccak(b"tampered"), s.timestamp)


def test_only_relayers_settle(chain, relay, enclave, accounts):
    s = signed(enclave, chain, b"role")
    with ape.reverts(relay.AccessControlUnauthorizedAccount):
        relay.settleIndividual(
            s.tee_id,
            s.input_hash,
            s.output_hash,
            s.timestamp,
            accounts[8],
            b"",
            s.signature,
            sender=accounts[9],
        )
    with ape.reverts(relay.AccessControlUnauthorizedAccount):
        relay.batchSettle(b"\x01" * 32, 1, b"", sender=accounts[9])


def test_batch_settle_and_verify_proof(chain, relay, relayer, enclave):
    results = [signed(enclave, chain, b"batch-%d" % i, -i) for i in range(5)]
    values = [[r.tee_id, r.input_hash, r.output_hash, r.signature, r.timestamp] for r in results]
    tree = StandardMerkleTree(values, LEAF_TYPES)
    blob = b"walrus-batch-blob"
    tx = relay.batchSettle(tree.root, len(values), blob, sender=relayer)
    (log,) = [x for x in tx.logs if x["address"] == relay.address]
    assert log["topics"][0].hex().removeprefix("0x") == BATCH_TOPIC[2:]
    (event,) = tx.decode_logs(relay.BatchSettlement)
    assert event.event_arguments == {
        "merkleRoot": tree.root,
        "batchSize": len(values),
        "walrusBlobId": blob,
    }

    for i in range(len(values)):
        leaf = tree.leaf(i)
        assert leaf == standard_leaf(LEAF_TYPES, values[i])
        assert relay.verifyProof(tree.proof(i), tree.root, leaf)
        assert not relay.verifyProof(tree.proof(i), keccak(b"other root"), leaf)
    wrong = standard_leaf(LEAF_TYPES, [*values[0][:4], values[0][4] + 1])
    assert not relay.verifyProof(tree.proof(0), tree.root, wrong)
    single = StandardMerkleTree(values[:1], LEAF_TYPES)
    assert single.proof(0) == [] and relay.verifyProof([], single.root, single.leaf(0))


def test_constructor_rejects_zero_verifier(project, admin):
    with ape.reverts("Invalid settlement contract"):
        admin.deploy(project.InferenceSettlementRelay, "0x0000000000000000000000000000000000000000")
