"""verifyAttestation of the 0x900 TEE verifier as a pure function, and the off-chain verifier
that shares its code: the honest path, and every attack (untrusted root, forged or tampered
signatures and payloads, other PCRs, stale or future documents, expired certificates, unbound
keys, oversized or malformed input) as the documented soft failure `(false, 0x0)` at the fixed
gas; off chain, the same failure carries a readable reason.

Real crypto throughout: documents from the simulated enclave, chains to the dev root or to a
rogue root.
"""

from __future__ import annotations

import datetime

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from eth_abi import decode
from eth_utils import keccak
from tee_verifier_support import NOW, attestation_call, context

from ogkit.tee import (
    AttestationError,
    DevCertificateAuthority,
    SimulatedEnclave,
    dev_root_pem,
    require_attestation,
    verify_attestation,
)
from ogkit.tee.enclave import dev_pcrs
from ogkit.tee.signing import cose_sign1_es384
from precompiles.tee.attestation import MIN_TIMESTAMP_MS
from precompiles.tee.certificates import AWS_NITRO_ROOT_PEM
from precompiles.tee.precompile import GAS_VERIFY_ATTESTATION, make_tee_verifier, run
from precompiles.tee.verdict import ZERO_HASH


@pytest.fixture(scope="module")
def rogue_ca() -> DevCertificateAuthority:
    return DevCertificateAuthority.generate()


@pytest.fixture(scope="module")
def rogue(rogue_ca: DevCertificateAuthority, enclave: SimulatedEnclave) -> SimulatedEnclave:
    """The same PCRs and signing key, but attested under a root nobody configured."""
    return SimulatedEnclave(ca=rogue_ca, signing_key=enclave.signing_key)


def on_chain(
    document: bytes,
    enclave: SimulatedEnclave,
    *,
    root: bytes = b"",
    block_time: int = NOW,
    key: bytes | None = None,
    tls: bytes | None = None,
) -> tuple[bool, bytes]:
    """verifyAttestation through the precompile function; asserts the fixed gas."""
    calldata = attestation_call(
        document,
        enclave.signing_public_key_der if key is None else key,
        enclave.tls_certificate_der if tls is None else tls,
        root,
    )
    result = run(calldata, context(block_time), dev_root_pem())
    assert not result.reverted and not result.out_of_gas
    assert result.gas_used == GAS_VERIFY_ATTESTATION
    valid, pcr_hash = decode(["bool", "bytes32"], result.output)
    if not valid:
        assert pcr_hash == ZERO_HASH
    return valid, pcr_hash


def off_chain(document: bytes, enclave: SimulatedEnclave, at: int = NOW, **kwargs):
    return verify_attestation(
        document, enclave.signing_public_key_der, enclave.tls_certificate_der, at=at, **kwargs
    )


def resign(document: bytes, payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A well-formed COSE_Sign1 over `payload`, signed by `key` (not the leaf's key)."""
    return cose_sign1_es384(payload, key)


def with_payload(document: bytes, **changes) -> bytes:
    """The same COSE envelope and signature around a payload with `changes`."""
    protected, unprotected, payload, signature = cbor2.loads(document)
    doc = cbor2.loads(payload)
    doc.update(changes)
    return cbor2.dumps([protected, unprotected, cbor2.dumps(doc), signature])


# --- the honest path --------------------------------------------------------------------------


def test_a_fresh_attestation_verifies_off_chain_and_in_the_precompile(
    enclave: SimulatedEnclave, document: bytes
) -> None:
    pcrs = dev_pcrs()
    expected = keccak(pcrs[0] + pcrs[1] + pcrs[2])
    assert enclave.pcr_hash == expected

    report = off_chain(document, enclave, expected_pcr_hash=expected)
    assert report.valid and report.reason == "" and report.pcr_hash == expected
    assert report.timestamp_ms == NOW * 1000 and report.module_id == enclave.module_id
    assert report.user_data == enclave.user_data and report.pcrs == pcrs
    assert require_attestation(
        document, enclave.signing_public_key_der, enclave.tls_certificate_der, at=NOW
    ).valid

    assert on_chain(document, enclave) == (True, expected)
    # the trusted root may also be passed explicitly, as TEERegistry does with its stored one
    assert on_chain(document, enclave, root=dev_root_pem()) == (True, expected)


def test_the_configured_root_is_the_default(
    enclave: SimulatedEnclave, document: bytes, rogue: SimulatedEnclave
) -> None:
    rogue_document = rogue.attestation_document(timestamp_ms=NOW * 1000)
    calldata = attestation_call(
        rogue_document, enclave.signing_public_key_der, rogue.tls_certificate_der
    )
    verifier = make_tee_verifier(rogue.ca.root_pem)  # a chain configured with another root
    assert decode(["bool", "bytes32"], verifier(calldata, context()).output)[0]
    calldata = attestation_call(
        document, enclave.signing_public_key_der, enclave.tls_certificate_der
    )
    assert not decode(["bool", "bytes32"], verifier(calldata, context()).output)[0]
    with pytest.raises(ValueError):
        make_tee_verifier(b"not a PEM certificate")  # a misconfigured chain fails at start


def test_the_aws_root_rejects_a_dev_document(enclave: SimulatedEnclave, document: bytes) -> None:
    assert on_chain(document, enclave, root=AWS_NITRO_ROOT_PEM) == (False, ZERO_HASH)
    reason = off_chain(document, enclave, root_pem=AWS_NITRO_ROOT_PEM).reason
    assert "certificate chain" in reason


def test_a_tag_18_cose_sign1_is_accepted(enclave: SimulatedEnclave, document: bytes) -> None:
    tagged = cbor2.dumps(cbor2.CBORTag(18, cbor2.loads(document)))
    assert on_chain(tagged, enclave)[0]


# --- attacks: each is a soft false ------------------------------------------------------------


def test_untrusted_root(enclave: SimulatedEnclave, rogue: SimulatedEnclave) -> None:
    rogue_document = rogue.attestation_document(timestamp_ms=NOW * 1000)
    tls = rogue.tls_certificate_der
    assert on_chain(rogue_document, rogue) == (False, ZERO_HASH)
    assert "certificate chain does not verify" in off_chain(rogue_document, rogue).reason
    # og-evm honours a caller's root: the registry's stored root is what protects it
    assert on_chain(rogue_document, enclave, tls=tls, root=rogue.ca.root_pem)[0]


def test_forged_and_tampered_signatures(enclave: SimulatedEnclave, document: bytes) -> None:
    protected, unprotected, payload, signature = cbor2.loads(document)
    for flipped in (0, 47, 48, 95):
        bad = bytearray(signature)
        bad[flipped] ^= 0x01
        tampered = cbor2.dumps([protected, unprotected, payload, bytes(bad)])
        assert on_chain(tampered, enclave) == (False, ZERO_HASH)
    reason = off_chain(tampered, enclave).reason
    assert "signature does not verify" in reason
    # a forger signs the genuine payload with a key of its own: the leaf's key disagrees
    forged = resign(document, payload, ec.generate_private_key(ec.SECP384R1()))
    assert on_chain(forged, enclave) == (False, ZERO_HASH)
    # signature of the wrong length, and the r ‖ s halves swapped
    for bad_signature in (signature[:95], signature + b"\x00", signature[48:] + signature[:48]):
        tampered = cbor2.dumps([protected, unprotected, payload, bad_signature])
        assert on_chain(tampered, enclave) == (False, ZERO_HASH)


def test_tampered_payload(enclave: SimulatedEnclave, document: bytes) -> None:
    approved = dev_pcrs(b"the approved image")
    pcrs = dict(dev_pcrs())
    pcrs.update({0: approved[0], 1: approved[1], 2: approved[2]})
    for changes in (
        {"pcrs": pcrs},  # claim approved PCRs under the genuine signature
        {"timestamp": NOW * 1000 + 1},
        {"nonce": b"replayed nonce"},
        {"module_id": "i-0000000000000000-enc0000000000000000"},
    ):
        tampered = with_payload(document, **changes)
        assert on_chain(tampered, enclave) == (False, ZERO_HASH)
        assert "signature does not verify" in off_chain(tampered, enclave).reason
    # a protected header changed, even to one that still says ES384
    protected, unprotected, payload, signature = cbor2.loads(document)
    header = cbor2.dumps({1: -35, 4: b"kid"})
    tampered = cbor2.dumps([header, unprotected, payload, signature])
    assert on_chain(tampered, enclave) == (False, ZERO_HASH)


def test_wrong_pcrs_give_another_pcr_hash(enclave: SimulatedEnclave, other) -> None:
    """A genuine enclave running another image attests fine, but to another pcrHash: the
    registry only accepts pcrHashes it approved."""
    other_document = other.attestation_document(timestamp_ms=NOW * 1000)
    valid, pcr_hash = on_chain(other_document, other)
    assert valid and pcr_hash == other.pcr_hash != enclave.pcr_hash
    report = off_chain(other_document, other, expected_pcr_hash=enclave.pcr_hash)
    assert not report.valid and "pcrHash" in report.reason
    with pytest.raises(AttestationError, match="pcrHash"):
        require_attestation(
            other_document,
            other.signing_public_key_der,
            other.tls_certificate_der,
            at=NOW,
            expected_pcr_hash=enclave.pcr_hash,
        )


def test_missing_and_oversized_pcrs(enclave: SimulatedEnclave) -> None:
    pcrs = dev_pcrs()
    del pcrs[2]
    document = enclave.attestation_document(timestamp_ms=NOW * 1000, pcrs=pcrs)
    assert on_chain(document, enclave) == (False, ZERO_HASH)
    assert off_chain(document, enclave).reason == "missing PCR2"
    # og-evm: a PCR over 64 bytes leaves the document valid with a zero pcrHash
    pcrs = {**dev_pcrs(), 1: b"\x01" * 65}
    document = enclave.attestation_document(timestamp_ms=NOW * 1000, pcrs=pcrs)
    assert on_chain(document, enclave) == (True, ZERO_HASH)


@pytest.mark.parametrize(
    ("age", "valid"),
    [(0, True), (300, True), (301, False), (3600, False), (-60, True), (-61, False)],
)
def test_freshness_against_block_time(
    enclave: SimulatedEnclave, document: bytes, age: int, valid: bool
) -> None:
    """age = block time − attestation time: at most 300 s old, at most 60 s ahead."""
    assert on_chain(document, enclave, block_time=NOW + age)[0] is valid
    report = off_chain(document, enclave, at=NOW + age)
    assert report.valid is valid
    if not valid:
        assert ("stale" if age > 0 else "future") in report.reason


def test_freshness_compares_whole_seconds(enclave: SimulatedEnclave) -> None:
    document = enclave.attestation_document(timestamp_ms=NOW * 1000 + 999)
    assert on_chain(document, enclave, block_time=NOW + 300)[0]  # 300.001 s, floored to 300
    assert not on_chain(document, enclave, block_time=NOW + 301)[0]
    document = enclave.attestation_document(timestamp_ms=(NOW + 60) * 1000 + 999)
    assert on_chain(document, enclave, block_time=NOW)[0]


def test_timestamps_before_the_minimum_are_rejected(enclave: SimulatedEnclave) -> None:
    at = MIN_TIMESTAMP_MS // 1000
    document = enclave.attestation_document(timestamp_ms=MIN_TIMESTAMP_MS)
    assert on_chain(document, enclave, block_time=at)[0]
    document = enclave.attestation_document(timestamp_ms=MIN_TIMESTAMP_MS - 1)
    assert on_chain(document, enclave, block_time=at) == (False, ZERO_HASH)
    assert "before" in off_chain(document, enclave, at=at).reason


def test_certificates_must_be_valid_at_block_time(enclave: SimulatedEnclave) -> None:
    expired = DevCertificateAuthority.generate(intermediate_not_after=datetime.datetime(2026, 1, 1))
    old = SimulatedEnclave(ca=expired, signing_key=enclave.signing_key)
    document = old.attestation_document(timestamp_ms=NOW * 1000)  # NOW is Feb 2026
    assert on_chain(document, old, root=expired.root_pem) == (False, ZERO_HASH)
    assert "certificate chain" in off_chain(document, old, root_pem=expired.root_pem).reason
    # the same chain verifies at a block time before the intermediate expired
    before = int(datetime.datetime(2025, 12, 31, tzinfo=datetime.UTC).timestamp())
    document = old.attestation_document(timestamp_ms=before * 1000)
    assert on_chain(document, old, root=expired.root_pem, block_time=before)[0]


def test_user_data_must_bind_the_given_key_and_tls_certificate(
    enclave: SimulatedEnclave, other: SimulatedEnclave, document: bytes
) -> None:
    # another enclave's signing key or TLS certificate with this enclave's document
    assert on_chain(document, enclave, key=other.signing_public_key_der) == (False, ZERO_HASH)
    assert on_chain(document, enclave, tls=other.tls_certificate_der) == (False, ZERO_HASH)
    report = off_chain(document, enclave, root_pem=None, at=NOW)
    assert report.valid
    report = verify_attestation(
        document, other.signing_public_key_der, enclave.tls_certificate_der, at=NOW
    )
    assert "does not bind this signing key" in report.reason
    report = verify_attestation(
        document, enclave.signing_public_key_der, other.tls_certificate_der, at=NOW
    )
    assert "does not bind this TLS certificate" in report.reason
    # a document whose user_data binds another key, or is not 68 bytes
    swapped = enclave.user_data[34:] + enclave.user_data[:34]
    for user_data in (other.user_data, swapped, enclave.user_data[:67], enclave.user_data + b"\0"):
        bad = enclave.attestation_document(timestamp_ms=NOW * 1000, user_data=user_data)
        assert on_chain(bad, enclave) == (False, ZERO_HASH)
    no_user_data = with_payload(document, user_data=None)
    assert not off_chain(no_user_data, enclave).valid
    bad = enclave.attestation_document(timestamp_ms=NOW * 1000, user_data=b"")
    assert off_chain(bad, enclave).reason == "user_data is 0 bytes, expected 68"


def test_size_caps_and_empty_inputs(enclave: SimulatedEnclave, document: bytes) -> None:
    # a document that would verify, but for its size: 16 KiB is the cap
    big = enclave.attestation_document(timestamp_ms=NOW * 1000, public_key=b"\x00" * 12_000)
    assert 12_000 < len(big) <= 16 * 1024 and on_chain(big, enclave)[0]
    bigger = enclave.attestation_document(timestamp_ms=NOW * 1000, public_key=b"\x00" * 14_000)
    assert len(bigger) > 16 * 1024
    assert on_chain(bigger, enclave) == (False, ZERO_HASH)
    assert "exceeds 16384" in off_chain(bigger, enclave).reason
    key, tls = enclave.signing_public_key_der, enclave.tls_certificate_der
    assert on_chain(document, enclave, key=key + b"\0" * 8 * 1024) == (False, ZERO_HASH)
    assert on_chain(document, enclave, tls=tls + b"\0" * 8 * 1024) == (False, ZERO_HASH)
    padded_root = dev_root_pem() + b"\n" * (8 * 1024 - len(dev_root_pem()))
    assert on_chain(document, enclave, root=padded_root)[0]  # exactly 8 KiB: fine
    assert on_chain(document, enclave, root=padded_root + b"\n") == (False, ZERO_HASH)
    assert on_chain(b"", enclave) == (False, ZERO_HASH)
    assert on_chain(document, enclave, key=b"") == (False, ZERO_HASH)
    assert on_chain(document, enclave, tls=b"") == (False, ZERO_HASH)
    assert off_chain(b"", enclave).reason == "attestation document is empty"


def test_malformed_documents(enclave: SimulatedEnclave, document: bytes) -> None:
    protected, unprotected, payload, signature = cbor2.loads(document)
    for bad in (
        b"\xff",
        b"not cbor at all",
        cbor2.dumps({"a": 1}),
        cbor2.dumps([protected, unprotected, payload]),
        cbor2.dumps([protected, unprotected, payload, signature, b""]),
        cbor2.dumps([protected, [], payload, signature]),
        cbor2.dumps([protected, unprotected, cbor2.loads(payload), signature]),
        cbor2.dumps([protected, unprotected, b"\x80", signature]),  # payload not a map
        document + b"\x00",  # trailing bytes
        document[:-1],
        with_payload(document, timestamp=-1),
        with_payload(document, timestamp="now"),
        with_payload(document, pcrs=[b"\0" * 48] * 3),
        with_payload(document, certificate=b"not DER"),
        with_payload(document, cabundle=[b"not DER"]),
        with_payload(document, cabundle=[]),  # the leaf needs its intermediate
    ):
        assert on_chain(bad, enclave) == (False, ZERO_HASH)
        assert off_chain(bad, enclave).reason


def test_an_unbound_or_foreign_root_argument(enclave: SimulatedEnclave, document: bytes) -> None:
    for root in (b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"):
        assert on_chain(document, enclave, root=root) == (False, ZERO_HASH)
