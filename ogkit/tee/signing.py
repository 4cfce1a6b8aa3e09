"""The byte formats of TEE mode, shared by the enclave and its verifiers: the hashes a
result and a heartbeat sign, nitriding's user_data, RSA-PSS signatures and the COSE_Sign1
envelope of a Nitro attestation document (see `ogkit.tee.enclave` for the whole picture).

Apart from the simulated enclave because these are the real formats: they hold for a real
Nitro enclave and OpenGradient's TEE gateway too, and the tests build bad documents from them.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from eth_utils import keccak
from pycose.algorithms import Es384
from pycose.headers import Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P384
from pycose.messages import Sign1Message

from precompiles.tee.rsa_pss import RSA_PSS_SALT_BYTES

MULTIHASH_SHA256 = b"\x12\x20"


def message_hash(input_hash: bytes, output_hash: bytes, timestamp: int) -> bytes:
    """`computeMessageHash`: keccak256(inputHash ‖ outputHash ‖ uint256 timestamp)."""
    _need32("input hash", input_hash)
    _need32("output hash", output_hash)
    return keccak(input_hash + output_hash + timestamp.to_bytes(32, "big"))


def heartbeat_hash(tee_id: bytes, timestamp: int) -> bytes:
    """What a heartbeat signs: keccak256(teeId ‖ uint256 timestamp)."""
    _need32("tee id", tee_id)
    return keccak(tee_id + timestamp.to_bytes(32, "big"))


def nitriding_user_data(tls_certificate_der: bytes, signing_public_key_der: bytes) -> bytes:
    """The 68 bytes nitriding puts in user_data: both hashes, each as a sha256 multihash."""
    return (
        MULTIHASH_SHA256
        + hashlib.sha256(tls_certificate_der).digest()
        + MULTIHASH_SHA256
        + hashlib.sha256(signing_public_key_der).digest()
    )


def public_key_der(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> bytes:
    """SubjectPublicKeyInfo DER, the form the registry and 0x900 take."""
    if isinstance(key, rsa.RSAPrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign_rsa_pss(key: rsa.RSAPrivateKey, message_hash_32: bytes) -> bytes:
    """RSA-PSS-SHA256 (MGF1-SHA-256, salt 32) over the 32-byte hash, as the TEE gateway."""
    _need32("message hash", message_hash_32)
    return key.sign(
        message_hash_32,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=RSA_PSS_SALT_BYTES),
        hashes.SHA256(),
    )


def cose_sign1_es384(payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """An untagged COSE_Sign1 over `payload`, ES384 with `key`: the Nitro document envelope."""
    numbers = key.private_numbers()
    message = Sign1Message(phdr={Algorithm: Es384}, payload=payload)
    message.key = EC2Key(
        crv=P384,
        d=numbers.private_value.to_bytes(48, "big"),
        x=numbers.public_numbers.x.to_bytes(48, "big"),
        y=numbers.public_numbers.y.to_bytes(48, "big"),
    )
    return message.encode(tag=False)


def _need32(name: str, value: bytes) -> None:
    if len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {len(value)}")
