"""The simulated enclave's formats, checked byte by byte against the published ones.

Attestation documents are checked here without pycose (cbor2 + cryptography only), so the
format does not merely agree with the library that wrote it: untagged COSE_Sign1, ES384,
raw r ‖ s over ["Signature1", protected, b"", payload], the Nitro payload map, the cabundle
chain and nitriding's user_data. Result signatures are RSA-PSS as the TEE gateway makes them.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from eth_abi.packed import encode_packed
from eth_utils import keccak

from ogkit.tee import (
    DEV_ROOT_SEED,
    DevCertificateAuthority,
    SimulatedEnclave,
    dev_root_ca,
    dev_root_pem,
    heartbeat_hash,
    message_hash,
)
from precompiles.tee.precompile import VERIFY_ATTESTATION, VERIFY_RSA_PSS

NITRO_PAYLOAD_KEYS = [
    "module_id",
    "digest",
    "timestamp",
    "pcrs",
    "certificate",
    "cabundle",
    "public_key",
    "user_data",
    "nonce",
]
TIMESTAMP_MS = 1_770_000_000_123


def test_selectors_are_the_keccak_of_og_evm_signatures() -> None:
    assert keccak(text="verifyAttestation(bytes,bytes,bytes,bytes)")[:4].hex() == "f7cf40d3"
    assert keccak(text="verifyRSAPSS(bytes,bytes32,bytes)")[:4].hex() == "7e26679a"
    assert VERIFY_ATTESTATION.hex() == "f7cf40d3" and VERIFY_RSA_PSS.hex() == "7e26679a"


def test_dev_root_is_deterministic_self_signed_and_labelled_dev_only() -> None:
    pem = dev_root_pem()
    assert DevCertificateAuthority.from_seed(DEV_ROOT_SEED).root_pem == pem
    other_process = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ogkit.tee import dev_root_pem as p; sys.stdout.buffer.write(p())",
        ],
        check=True,
        capture_output=True,
    ).stdout
    assert other_process == pem  # the node, the provider and the CLI agree without a file
    root = x509.load_pem_x509_certificate(pem)
    assert "DEV ONLY" in root.subject.rfc4514_string()
    assert root.issuer == root.subject
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(root.public_key().curve, ec.SECP384R1)
    root.verify_directly_issued_by(root)
    assert DevCertificateAuthority.generate().root_pem != pem


def test_document_is_an_untagged_cose_sign1_in_nitro_format(enclave: SimulatedEnclave) -> None:
    document = enclave.attestation_document(nonce=b"\x01" * 20, timestamp_ms=TIMESTAMP_MS)
    assert document[:1] == b"\x84"  # a bare array of 4: no tag 18, as Nitro sends it
    protected, unprotected, payload, signature = cbor2.loads(document)
    assert protected == bytes.fromhex("a1013822")  # {1: -35}: ES384
    assert unprotected == {}
    assert len(signature) == 96  # raw r ‖ s

    doc = cbor2.loads(payload)
    assert list(doc) == NITRO_PAYLOAD_KEYS
    assert doc["module_id"] == enclave.module_id and doc["digest"] == "SHA384"
    assert doc["timestamp"] == TIMESTAMP_MS and doc["nonce"] == b"\x01" * 20
    assert doc["public_key"] is None
    assert sorted(doc["pcrs"]) == list(range(16))
    assert all(len(v) == 48 for v in doc["pcrs"].values())
    assert doc["pcrs"][0] != doc["pcrs"][1] != doc["pcrs"][2] != bytes(48)
    assert doc["user_data"] == (
        b"\x12\x20"
        + hashlib.sha256(enclave.tls_certificate_der).digest()
        + b"\x12\x20"
        + hashlib.sha256(enclave.signing_public_key_der).digest()
    )

    # The signature, checked without pycose: ES384 over the Sig_structure.
    leaf = x509.load_der_x509_certificate(doc["certificate"])
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    der_signature = encode_dss_signature(
        int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    )
    leaf.public_key().verify(der_signature, sig_structure, ec.ECDSA(hashes.SHA384()))

    # The chain: leaf ← intermediate ← root, cabundle from the root down.
    root_der, intermediate_der = doc["cabundle"]
    root = x509.load_der_x509_certificate(root_der)
    intermediate = x509.load_der_x509_certificate(intermediate_der)
    assert root_der == dev_root_ca().root_certificate.public_bytes(serialization.Encoding.DER)
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    assert isinstance(leaf.public_key().curve, ec.SECP384R1)
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert 3 * 3600 <= lifetime.total_seconds() <= 4 * 3600  # hours, like the NSM's leaves
    assert abs(leaf.not_valid_before_utc.timestamp() - TIMESTAMP_MS / 1000) <= 180


def test_keys_and_tee_id(enclave: SimulatedEnclave) -> None:
    key = serialization.load_der_public_key(enclave.signing_public_key_der)
    assert key.key_size == 2048
    assert serialization.load_pem_public_key(enclave.signing_public_key_pem) == key
    assert enclave.tee_id == keccak(enclave.signing_public_key_der)  # the registry's teeId
    tls = x509.load_der_x509_certificate(enclave.tls_certificate_der)
    assert tls.issuer == tls.subject  # self-signed, as nitriding's


def test_message_hash_is_compute_message_hash() -> None:
    input_hash, output_hash, timestamp = keccak(b"in"), keccak(b"out"), 1_770_000_000
    packed = encode_packed(["bytes32", "bytes32", "uint256"], [input_hash, output_hash, timestamp])
    assert len(packed) == 96
    assert message_hash(input_hash, output_hash, timestamp) == keccak(packed)
    tee_id = keccak(b"key")
    assert heartbeat_hash(tee_id, timestamp) == keccak(
        encode_packed(["bytes32", "uint256"], [tee_id, timestamp])
    )
    with pytest.raises(ValueError):
        message_hash(b"short", output_hash, timestamp)


def test_result_signature_is_rsa_pss_sha256_salt_32(enclave: SimulatedEnclave) -> None:
    signed = enclave.sign_result(keccak(b"in"), keccak(b"out"), 1_770_000_000)
    assert signed.tee_id == enclave.tee_id
    assert signed.message_hash == message_hash(keccak(b"in"), keccak(b"out"), 1_770_000_000)
    assert len(signed.signature) == 256
    key = serialization.load_der_public_key(enclave.signing_public_key_der)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    # plain RSA-PSS-SHA256 with the 32-byte message hash as the message
    key.verify(signed.signature, signed.message_hash, pss, hashes.SHA256())
    heartbeat = enclave.sign_heartbeat(1_770_000_000)
    key.verify(heartbeat, heartbeat_hash(enclave.tee_id, 1_770_000_000), pss, hashes.SHA256())
