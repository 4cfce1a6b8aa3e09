"""verifyRSAPSS of the 0x900 TEE verifier: the enclave's result and heartbeat signatures verify
on chain and off; a tampered message or signature, other PSS parameters and keys outside the
rules (under 2048 bits, PKCS#1, not RSA, oversize) are a soft `false` at the fixed gas.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from eth_abi import decode
from eth_utils import keccak
from tee_verifier_support import NOW, context, rsa_call

from ogkit.tee import SimulatedEnclave, dev_root_pem, message_hash, verify_result_signature
from ogkit.tee.signing import sign_rsa_pss
from precompiles.tee.precompile import GAS_VERIFY_RSA_PSS, run


def rsa_on_chain(key: bytes, digest: bytes, signature: bytes) -> bool:
    result = run(rsa_call(key, digest, signature), context(), dev_root_pem())
    assert not result.reverted and not result.out_of_gas
    assert result.gas_used == GAS_VERIFY_RSA_PSS
    assert len(result.output) == 32
    return decode(["bool"], result.output)[0]


# --- verifyRSAPSS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 1024)


def test_enclave_result_signatures_verify(enclave: SimulatedEnclave) -> None:
    input_hash, output_hash, timestamp = keccak(b"input"), keccak(b"output"), NOW
    signed = enclave.sign_result(input_hash, output_hash, timestamp)
    key = enclave.signing_public_key_der
    assert rsa_on_chain(key, signed.message_hash, signed.signature)
    assert verify_result_signature(key, input_hash, output_hash, timestamp, signed.signature).valid
    heartbeat = enclave.sign_heartbeat(NOW)
    assert rsa_on_chain(key, keccak(enclave.tee_id + NOW.to_bytes(32, "big")), heartbeat)


def test_tampered_rsa_pss_fails(enclave: SimulatedEnclave, other: SimulatedEnclave) -> None:
    input_hash, output_hash = keccak(b"input"), keccak(b"output")
    signed = enclave.sign_result(input_hash, output_hash, NOW)
    key, signature = enclave.signing_public_key_der, signed.signature
    # tampered output hash / timestamp: the message hash differs
    assert not rsa_on_chain(key, message_hash(input_hash, keccak(b"forged"), NOW), signature)
    assert not rsa_on_chain(key, message_hash(input_hash, output_hash, NOW + 1), signature)
    check = verify_result_signature(key, input_hash, keccak(b"forged"), NOW, signature)
    assert not check.valid and check.reason == "RSA-PSS signature does not verify"
    # tampered signature, wrong length, another enclave's key
    bad = bytearray(signature)
    bad[100] ^= 0x40
    assert not rsa_on_chain(key, signed.message_hash, bytes(bad))
    assert not rsa_on_chain(key, signed.message_hash, signature[1:])
    assert not rsa_on_chain(key, signed.message_hash, b"\0" + signature)
    assert not rsa_on_chain(key, signed.message_hash, b"")
    assert not rsa_on_chain(other.signing_public_key_der, signed.message_hash, signature)


def test_rsa_pss_parameters_are_exact(enclave: SimulatedEnclave) -> None:
    digest = keccak(b"m")
    key = enclave.signing_public_key_der
    for salt in (0, 20, 64):  # only a 32-byte salt is accepted
        wrong_salt = enclave.signing_key.sign(
            digest,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt),
            hashes.SHA256(),
        )
        assert not rsa_on_chain(key, digest, wrong_salt)
    pkcs1v15 = enclave.signing_key.sign(digest, padding.PKCS1v15(), hashes.SHA256())
    assert not rsa_on_chain(key, digest, pkcs1v15)
    sha384 = enclave.signing_key.sign(
        digest, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=32), hashes.SHA384()
    )
    assert not rsa_on_chain(key, digest, sha384)
    assert rsa_on_chain(key, digest, sign_rsa_pss(enclave.signing_key, digest))


def test_rsa_keys_outside_the_rules(enclave: SimulatedEnclave, small_key) -> None:
    digest = keccak(b"m")
    # RSA-1024: a correct signature, but the key is under 2048 bits
    small = small_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert not rsa_on_chain(small, digest, sign_rsa_pss(small_key, digest))
    # PKCS#1 RSAPublicKey DER instead of SubjectPublicKeyInfo, and trailing bytes
    pkcs1 = enclave.signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    signature = sign_rsa_pss(enclave.signing_key, digest)
    assert not rsa_on_chain(pkcs1, digest, signature)
    assert not rsa_on_chain(enclave.signing_public_key_der + b"\0", digest, signature)
    # not RSA, empty, oversize key, oversize signature
    ec_key = (
        ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert not rsa_on_chain(ec_key, digest, signature)
    assert not rsa_on_chain(b"", digest, signature)
    assert not rsa_on_chain(b"\0" * (8 * 1024 + 1), digest, signature)
    assert not rsa_on_chain(enclave.signing_public_key_der, digest, b"\1" * 1025)
