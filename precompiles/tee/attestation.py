"""`verifyAttestation`: an AWS Nitro attestation document checked at the block time.

`check_attestation` is the verification itself, with a reason for each failure;
`ogkit.tee.attestation` uses it off-chain too, so the chain and the CLI never disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from eth_utils import keccak

from precompiles.tee.certificates import check_chain
from precompiles.tee.document import check_cose_signature, decode_cose_sign1, decode_payload
from precompiles.tee.verdict import (
    MAX_ATTESTATION_BYTES,
    MAX_CERTIFICATE_BYTES,
    MAX_PUBLIC_KEY_BYTES,
    ZERO_HASH,
    Invalid,
    check_size,
)

MAX_PCR_BYTES = 64  # a longer PCR0–2 leaves the document valid but its pcrHash zero

# Freshness against the block time. Nitro timestamps are milliseconds; og-evm compares
# whole seconds (timestamp // 1000) with the block's seconds.
MIN_TIMESTAMP_MS = 1_738_281_600_000  # 2025-01-31 00:00 UTC
MAX_AGE_SECONDS = 300
MAX_SKEW_SECONDS = 60

USER_DATA_BYTES = 68  # 0x1220 ‖ sha256(TLS cert DER) ‖ 0x1220 ‖ sha256(signing key DER)


@dataclass(frozen=True)
class AttestationCheck:
    """The verdict on one attestation document, and what it said.

    `pcr_hash` is keccak256(pcr0 ‖ pcr1 ‖ pcr2) when valid (zero if a PCR is over 64 bytes),
    else zero. The other fields are filled as far as decoding got, for off-chain callers.
    """

    valid: bool
    pcr_hash: bytes = ZERO_HASH
    reason: str = ""
    module_id: str | None = None
    timestamp_ms: int | None = None
    pcrs: dict[int, bytes] = field(default_factory=dict)
    certificate: bytes | None = None
    cabundle: tuple[bytes, ...] = ()
    public_key: bytes | None = None
    user_data: bytes | None = None
    nonce: bytes | None = None


def check_attestation(
    document: bytes,
    signing_public_key: bytes,
    tls_certificate: bytes,
    root_certificate_pem: bytes,
    block_time: int,
    *,
    trusted_root_pem: bytes,
) -> AttestationCheck:
    """Verify an AWS Nitro attestation document at `block_time` (Unix seconds). Never raises.

    `root_certificate_pem` is the caller's root (PEM); empty means `trusted_root_pem`.
    """
    parsed: dict = {}
    try:
        _check_attestation(
            document,
            signing_public_key,
            tls_certificate,
            root_certificate_pem,
            trusted_root_pem,
            block_time,
            parsed,
        )
    except Invalid as exc:
        return AttestationCheck(False, ZERO_HASH, str(exc), **parsed)
    except Exception as exc:  # noqa: BLE001 - soft failure: any surprise is just "invalid"
        return AttestationCheck(
            False, ZERO_HASH, f"unexpected {type(exc).__name__}: {exc}", **parsed
        )
    pcrs = parsed["pcrs"]
    return AttestationCheck(True, pcr_hash(pcrs[0], pcrs[1], pcrs[2]), "", **parsed)


def pcr_hash(pcr0: bytes, pcr1: bytes, pcr2: bytes) -> bytes:
    """keccak256(pcr0 ‖ pcr1 ‖ pcr2), or zero if any is over 64 bytes (as og-evm)."""
    if max(len(pcr0), len(pcr1), len(pcr2)) > MAX_PCR_BYTES:
        return ZERO_HASH
    return keccak(pcr0 + pcr1 + pcr2)


def _check_attestation(
    document: bytes,
    signing_public_key: bytes,
    tls_certificate: bytes,
    root_certificate_pem: bytes,
    trusted_root_pem: bytes,
    block_time: int,
    parsed: dict,
) -> None:
    # In og-evm's order, so the first reason given is the one og-evm would fail on.
    check_size("attestation document", document, MAX_ATTESTATION_BYTES)
    check_size("signing public key", signing_public_key, MAX_PUBLIC_KEY_BYTES)
    check_size("TLS certificate", tls_certificate, MAX_CERTIFICATE_BYTES)
    check_size("root certificate", root_certificate_pem, MAX_CERTIFICATE_BYTES)  # the caller's
    root_pem = root_certificate_pem or trusted_root_pem
    for name, value in (
        ("attestation document", document),
        ("signing public key", signing_public_key),
        ("TLS certificate", tls_certificate),
    ):
        if not value:
            raise Invalid(f"{name} is empty")

    message, protected, payload, signature = decode_cose_sign1(document)
    doc = decode_payload(payload)
    parsed.update(doc)
    pcrs = doc["pcrs"]
    for index in (0, 1, 2):
        if index not in pcrs:
            raise Invalid(f"missing PCR{index}")
    _check_freshness(doc["timestamp_ms"], block_time)

    try:
        leaf = x509.load_der_x509_certificate(doc["certificate"])
        leaf_key = leaf.public_key()
    except Exception as exc:  # noqa: BLE001
        raise Invalid(f"leaf certificate does not parse: {exc}") from None
    check_cose_signature(message, protected, signature, leaf_key)
    check_chain(leaf, doc["cabundle"], root_pem, block_time)

    user_data = doc["user_data"] or b""
    if len(user_data) != USER_DATA_BYTES:
        raise Invalid(f"user_data is {len(user_data)} bytes, expected {USER_DATA_BYTES}")
    if user_data[2:34] != hashlib.sha256(tls_certificate).digest():
        raise Invalid("user_data does not bind this TLS certificate (sha256 differs)")
    if user_data[36:68] != hashlib.sha256(signing_public_key).digest():
        raise Invalid("user_data does not bind this signing key (sha256 differs)")


def _check_freshness(timestamp_ms: int, block_time: int) -> None:
    if timestamp_ms < MIN_TIMESTAMP_MS:
        raise Invalid(f"timestamp {timestamp_ms} ms is before {MIN_TIMESTAMP_MS} ms")
    seconds = timestamp_ms // 1000
    if block_time - seconds > MAX_AGE_SECONDS:
        raise Invalid(
            f"attestation is stale: {block_time - seconds} s older than the block "
            f"(max {MAX_AGE_SECONDS} s)"
        )
    if seconds - block_time > MAX_SKEW_SECONDS:
        raise Invalid(
            f"attestation is from the future: {seconds - block_time} s after the block "
            f"(max {MAX_SKEW_SECONDS} s)"
        )
