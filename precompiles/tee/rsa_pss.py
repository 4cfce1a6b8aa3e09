"""`verifyRSAPSS`: an RSA-PSS-SHA256 signature over a 32-byte hash, as og-evm checks it."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from precompiles.tee.verdict import MAX_PUBLIC_KEY_BYTES, MAX_SIGNATURE_BYTES, Invalid, check_size

# og-evm compares the modulus length in bytes (Go's `rsa.PublicKey.Size()`): 2048–8192 bits.
MIN_RSA_MODULUS_BYTES = 256
MAX_RSA_MODULUS_BYTES = 1024
RSA_PSS_SALT_BYTES = 32


@dataclass(frozen=True)
class RsaPssCheck:
    valid: bool
    reason: str = ""


def check_rsa_pss(public_key_der: bytes, message_hash: bytes, signature: bytes) -> RsaPssCheck:
    """RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) over the 32-byte `message_hash`.

    og-evm passes sha256(messageHash) to Go's `rsa.VerifyPSS(…, SHA256, …)`, which is exactly
    plain RSA-PSS-SHA256 with `message_hash` as the message: what `cryptography` verifies
    here and what `ogkit.tee.enclave` signs. Never raises.
    """
    try:
        _check_rsa_pss(public_key_der, message_hash, signature)
    except Invalid as exc:
        return RsaPssCheck(False, str(exc))
    except Exception as exc:  # noqa: BLE001
        return RsaPssCheck(False, f"unexpected {type(exc).__name__}: {exc}")
    return RsaPssCheck(True)


def _check_rsa_pss(public_key_der: bytes, message_hash: bytes, signature: bytes) -> None:
    check_size("public key", public_key_der, MAX_PUBLIC_KEY_BYTES)
    check_size("signature", signature, MAX_SIGNATURE_BYTES)
    if len(message_hash) != 32:
        raise Invalid("message hash is not 32 bytes")
    try:
        key = serialization.load_der_public_key(public_key_der)
    except Exception as exc:  # noqa: BLE001
        raise Invalid(f"public key is not SubjectPublicKeyInfo DER: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise Invalid("public key is not RSA")
    # Go's ParsePKIXPublicKey takes only canonical SPKI (no PKCS#1, no trailing bytes).
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if spki != public_key_der:
        raise Invalid("public key is not canonical SubjectPublicKeyInfo DER")
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    if not MIN_RSA_MODULUS_BYTES <= size <= MAX_RSA_MODULUS_BYTES:
        raise Invalid(f"RSA modulus of {numbers.n.bit_length()} bits is outside 2048–8192")
    if numbers.e < 3 or numbers.e > (1 << 31) - 1 or numbers.e % 2 == 0:
        raise Invalid(f"RSA public exponent {numbers.e} is not supported")
    if len(signature) != size:
        raise Invalid(f"signature is {len(signature)} bytes, the modulus {size}")
    try:
        key.verify(
            signature,
            message_hash,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=RSA_PSS_SALT_BYTES),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise Invalid("RSA-PSS signature does not verify") from None
