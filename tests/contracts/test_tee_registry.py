"""TEERegistry (contracts/verification/) on the `opengradient:local` chain, through 0x900.

A simulated Nitro enclave (`ogkit.tee.SimulatedEnclave`) produces real attestation documents
under the dev root CA and real RSA-PSS signatures; the registry stores the dev root PEM with
`setAWSRootCertificate` and passes it to 0x900 as og-evm's registry passes the AWS root.
Documents are stamped with the chain's pending block time, which is what 0x900 checks
freshness against (300 s back, 60 s ahead).
"""

from __future__ import annotations

import json
from pathlib import Path

import ape
import pytest
from eth_utils import keccak

from ogkit.tee import DevCertificateAuthority, SimulatedEnclave
from ogkit.tee.dev_ca import dev_root_pem
from ogkit.tee.enclave import dev_pcrs

LLM_PROXY = 0  # the SDK's TEE type for the LLM proxy
VALIDATOR = 1
ENDPOINT = "https://tee-1.dev-enclave.local:443"
SDK_ABI = Path("/work/shared/reference/abi/TEERegistry.abi.json")
TEE_OPERATOR = keccak(text="TEE_OPERATOR")


def pcr_struct(enclave: SimulatedEnclave) -> tuple[bytes, bytes, bytes]:
    return (enclave.pcrs[0], enclave.pcrs[1], enclave.pcrs[2])


@pytest.fixture
def operator(accounts):
    return accounts[1]


@pytest.fixture
def registry(project, admin, operator, enclave):
    registry = admin.deploy(project.TEERegistry)
    registry.setAWSRootCertificate(dev_root_pem(), sender=admin)
    registry.addTEEType(LLM_PROXY, "LLMProxy", sender=admin)
    registry.addTEEType(VALIDATOR, "Validator", sender=admin)
    registry.approvePCR(pcr_struct(enclave), "v1.0.0", LLM_PROXY, sender=admin)
    registry.grantRole(TEE_OPERATOR, operator, sender=admin)
    return registry


def fresh_document(chain, enclave: SimulatedEnclave, offset: int = 0) -> bytes:
    return enclave.attestation_document(timestamp_ms=(chain.pending_timestamp + offset) * 1000)


def register(chain, registry, enclave, sender, tee_type=LLM_PROXY, document=None):
    document = document if document is not None else fresh_document(chain, enclave)
    return registry.registerTEEWithAttestation(
        document,
        enclave.signing_public_key_der,
        enclave.tls_certificate_der,
        sender.address,
        ENDPOINT,
        tee_type,
        sender=sender,
    )


def test_register_with_a_real_attestation(chain, registry, enclave, operator, admin):
    assert registry.awsRootCertificate() == dev_root_pem()
    assert registry.heartbeatMaxAge() == 1800
    assert registry.isPCRApproved(LLM_PROXY, enclave.pcr_hash)
    assert not registry.isPCRApproved(VALIDATOR, enclave.pcr_hash)

    tx = register(chain, registry, enclave, operator)
    tee_id = enclave.tee_id
    (event,) = tx.decode_logs(registry.TEERegistered)
    assert (event.teeId, event.owner, event.teeType) == (tee_id, operator.address, LLM_PROXY)
    assert registry.computeTEEId(enclave.signing_public_key_der) == tee_id

    info = registry.getTEE(tee_id)
    assert info.owner == operator.address and info.paymentAddress == operator.address
    assert info.endpoint == ENDPOINT
    assert info.publicKey == enclave.signing_public_key_der
    assert info.tlsCertificate == enclave.tls_certificate_der
    assert info.pcrHash == enclave.pcr_hash
    assert info.teeType == LLM_PROXY and info.enabled
    block_time = chain.blocks[tx.block_number].timestamp
    assert info.registeredAt == info.lastHeartbeatAt == block_time
    assert info.ohttpConfig.publicKey == b"" and info.ohttpConfig.registeredAt == 0

    assert registry.isTEEEnabled(tee_id) and registry.isTEEActive(tee_id)
    assert registry.getTEEPublicKey(tee_id) == enclave.signing_public_key_der
    assert list(registry.getEnabledTEEs(LLM_PROXY)) == [tee_id]
    assert list(registry.getTEEsByType(LLM_PROXY)) == [tee_id]
    assert list(registry.getTEEsByOwner(operator)) == [tee_id]
    (active,) = registry.getActiveTEEs(LLM_PROXY)
    assert active.publicKey == enclave.signing_public_key_der
    assert registry.getActiveTEEs(VALIDATOR) == []

    with ape.reverts(registry.TEEAlreadyExists):
        register(chain, registry, enclave, operator)


def test_only_operators_register(chain, registry, enclave, accounts):
    stranger = accounts[5]
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        register(chain, registry, enclave, stranger)


def test_pcr_approved_for_another_type_is_rejected(chain, registry, enclave, operator):
    with ape.reverts(registry.PCRNotApproved):
        register(chain, registry, enclave, operator, tee_type=VALIDATOR)
    with ape.reverts(registry.InvalidTEEType):
        register(chain, registry, enclave, operator, tee_type=7)


def test_wrong_pcr_is_rejected(chain, registry, operator):
    other_image = SimulatedEnclave(pcrs=dev_pcrs(b"some other enclave image"))
    with ape.reverts(registry.PCRNotApproved):
        register(chain, registry, other_image, operator)


def test_untrusted_root_is_rejected(chain, registry, operator):
    foreign = SimulatedEnclave(ca=DevCertificateAuthority.generate())
    with ape.reverts(registry.AttestationInvalid):
        register(chain, registry, foreign, operator)


def test_stale_or_future_attestation_is_rejected(chain, registry, enclave, operator):
    for offset in (-400, 120):
        with ape.reverts(registry.AttestationInvalid):
            register(
                chain, registry, enclave, operator, document=fresh_document(chain, enclave, offset)
            )


def test_key_not_bound_by_the_document_is_rejected(chain, registry, enclave, operator):
    impostor = SimulatedEnclave()  # its key, but the genuine enclave's document
    with ape.reverts(registry.AttestationInvalid):
        registry.registerTEEWithAttestation(
            fresh_document(chain, enclave),
            impostor.signing_public_key_der,
            enclave.tls_certificate_der,
            operator.address,
            ENDPOINT,
            LLM_PROXY,
            sender=operator,
        )


def test_revoke_pcr_disables_its_tees(chain, registry, enclave, operator, admin):
    register(chain, registry, enclave, operator)
    tee_id = enclave.tee_id
    tx = registry.revokePCR(enclave.pcr_hash, LLM_PROXY, sender=admin)
    (disabled,) = tx.decode_logs(registry.TEEDisabled)
    assert disabled.teeId == tee_id
    (revoked,) = tx.decode_logs(registry.PCRRevoked)
    assert (revoked.pcrHash, revoked.teeType) == (enclave.pcr_hash, LLM_PROXY)

    assert not registry.isPCRApproved(LLM_PROXY, enclave.pcr_hash)
    assert not registry.isTEEEnabled(tee_id) and not registry.isTEEActive(tee_id)
    assert registry.getTEE(tee_id).enabled is False
    assert list(registry.getEnabledTEEs(LLM_PROXY)) == []
    assert registry.getActiveTEEs(LLM_PROXY) == []
    assert list(registry.getTEEsByType(LLM_PROXY)) == [tee_id]  # history stays
    assert registry.getApprovedPCRs() == []

    with ape.reverts(registry.PCRNotApproved):
        registry.enableTEE(tee_id, sender=operator)
    with ape.reverts(registry.PCRNotApproved):  # a fresh enclave on the revoked image
        register(chain, registry, SimulatedEnclave(), operator)
    with ape.reverts(registry.PCRNotApproved):
        registry.revokePCR(enclave.pcr_hash, LLM_PROXY, sender=admin)

    # re-approving lets the owner enable it again
    registry.approvePCR(pcr_struct(enclave), "v1.0.1", LLM_PROXY, sender=admin)
    tx = registry.enableTEE(tee_id, sender=operator)
    assert [e.teeId for e in tx.decode_logs(registry.TEEEnabled)] == [tee_id]
    assert registry.isTEEActive(tee_id)


def test_disable_enable_permissions(chain, registry, enclave, operator, admin, accounts):
    register(chain, registry, enclave, operator)
    tee_id = enclave.tee_id
    with ape.reverts(registry.NotTEEOwner):
        registry.disableTEE(tee_id, sender=accounts[5])
    registry.disableTEE(tee_id, sender=operator)
    assert not registry.isTEEEnabled(tee_id)
    with ape.reverts(registry.TEENotEnabled):
        registry.disableTEE(tee_id, sender=admin)
    registry.enableTEE(tee_id, sender=admin)
    assert registry.isTEEActive(tee_id)
    with ape.reverts(registry.TEENotFound):
        registry.disableTEE(b"\x11" * 32, sender=admin)
    with ape.reverts(registry.TEENotFound):
        registry.getTEE(b"\x11" * 32)


def test_heartbeat(chain, registry, enclave, operator, accounts):
    register(chain, registry, enclave, operator)
    tee_id = enclave.tee_id
    relayer = accounts[5]  # anyone may relay a heartbeat
    stamp = chain.blocks.head.timestamp
    tx = registry.heartbeat(tee_id, stamp, enclave.sign_heartbeat(stamp), sender=relayer)
    (event,) = tx.decode_logs(registry.HeartbeatReceived)
    # `.timestamp` on an Ape log is the block time: read the argument by key
    assert (event.teeId, event.event_arguments["timestamp"]) == (tee_id, stamp)
    assert registry.getTEE(tee_id).lastHeartbeatAt == chain.blocks[tx.block_number].timestamp

    forged = SimulatedEnclave().sign_heartbeat(stamp)  # another key
    with ape.reverts(registry.HeartbeatSignatureInvalid):
        registry.heartbeat(tee_id, stamp, forged, sender=relayer)
    with ape.reverts(registry.HeartbeatSignatureInvalid):  # signed for another timestamp
        registry.heartbeat(tee_id, stamp, enclave.sign_heartbeat(stamp - 1), sender=relayer)

    future = chain.pending_timestamp + 600
    with ape.reverts(registry.HeartbeatTimestampInFuture):
        registry.heartbeat(tee_id, future, enclave.sign_heartbeat(future), sender=relayer)
    old = chain.pending_timestamp - 1801
    with ape.reverts(registry.HeartbeatTimestampTooOld):
        registry.heartbeat(tee_id, old, enclave.sign_heartbeat(old), sender=relayer)
    with ape.reverts(registry.TEENotFound):
        registry.heartbeat(b"\x11" * 32, stamp, enclave.sign_heartbeat(stamp), sender=relayer)


def test_a_missed_heartbeat_makes_a_tee_inactive(chain, registry, enclave, operator, admin):
    register(chain, registry, enclave, operator)
    tee_id = enclave.tee_id
    registry.setHeartbeatMaxAge(60, sender=admin)
    assert registry.heartbeatMaxAge() == 60
    chain.mine(timestamp=chain.pending_timestamp + 120)
    assert registry.isTEEEnabled(tee_id) and not registry.isTEEActive(tee_id)
    assert registry.getActiveTEEs(LLM_PROXY) == []
    stamp = chain.blocks.head.timestamp
    registry.heartbeat(tee_id, stamp, enclave.sign_heartbeat(stamp), sender=operator)
    assert registry.isTEEActive(tee_id)


def test_admin_functions_need_the_admin_role(registry, enclave, operator, admin):
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.setAWSRootCertificate(b"", sender=operator)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.approvePCR(pcr_struct(enclave), "x", LLM_PROXY, sender=operator)
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.setHeartbeatMaxAge(1, sender=operator)
    with ape.reverts(registry.TEETypeExists):
        registry.addTEEType(LLM_PROXY, "again", sender=admin)


@pytest.mark.skipif(not SDK_ABI.is_file(), reason="the SDK's reference ABI is not on this machine")
def test_abi_matches_the_sdk(project):
    """Every entry of the SDK's TEERegistry ABI is in ours, with the same types and names."""

    def canonical(entry):
        def param(p):
            out = {"name": p.get("name", ""), "type": p["type"]}
            if "components" in p:
                out["components"] = [param(c) for c in p["components"]]
            return out

        return (
            entry["type"],
            entry.get("name"),
            json.dumps([param(p) for p in entry.get("inputs", [])]),
            json.dumps([param(p) for p in entry.get("outputs", [])]),
            entry.get("stateMutability"),
        )

    ours = {
        canonical(e.model_dump(mode="json", by_alias=True))
        for e in project.TEERegistry.contract_type.abi
    }
    sdk = json.loads(SDK_ABI.read_text())
    for entry in sdk:
        assert canonical(entry) in ours, entry.get("name")
