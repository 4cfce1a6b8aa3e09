"""Off-chain verification of TEE attestations and result signatures.

The same code as the 0x900 precompile (`precompiles.tee`), so a full node, the CLI
and a contract reach the same verdict on the same bytes; off chain "now" stands in for the
block time, and a client can also check what only a client can: the nonce it sent and the
PCR hash it expects (reference §11, "client verification").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from ogkit.tee.dev_ca import dev_root_pem
from ogkit.tee.signing import message_hash
from precompiles.tee.attestation import AttestationCheck, check_attestation
from precompiles.tee.rsa_pss import RsaPssCheck, check_rsa_pss
from precompiles.tee.verdict import ZERO_HASH


class AttestationError(ValueError):
    """An attestation that does not verify; the message says why."""


@dataclass(frozen=True)
class AttestationReport(AttestationCheck):
    """`AttestationCheck` plus what an off-chain verifier checked it against."""

    checked_at: int = 0
    root_pem: bytes = b""


def verify_attestation(
    document: bytes,
    signing_public_key: bytes,
    tls_certificate: bytes,
    *,
    root_pem: bytes | None = None,
    at: int | None = None,
    expected_pcr_hash: bytes | None = None,
    expected_nonce: bytes | None = None,
) -> AttestationReport:
    """Verify a Nitro attestation document the way 0x900 does, at time `at` (Unix seconds,
    default now), against `root_pem` (default: the dev root of a development chain).

    Returns a report whose `valid` is False with a `reason` on any failure; never raises.
    """
    root = root_pem if root_pem is not None else dev_root_pem()
    when = int(time.time()) if at is None else at
    check = check_attestation(
        document, signing_public_key, tls_certificate, root, when, trusted_root_pem=root
    )
    report = AttestationReport(**vars(check), checked_at=when, root_pem=root)
    if not report.valid:
        return report
    if expected_pcr_hash is not None and report.pcr_hash != expected_pcr_hash:
        return _fail(report, f"pcrHash 0x{report.pcr_hash.hex()} is not the expected one")
    if expected_nonce is not None and report.nonce != expected_nonce:
        return _fail(report, "nonce does not match the one requested")
    return report


def _fail(report: AttestationReport, reason: str) -> AttestationReport:
    return replace(report, valid=False, pcr_hash=ZERO_HASH, reason=reason)


def require_attestation(
    document: bytes, signing_public_key: bytes, tls_certificate: bytes, **kwargs
) -> AttestationReport:
    """`verify_attestation`, raising `AttestationError(reason)` unless it is valid."""
    report = verify_attestation(document, signing_public_key, tls_certificate, **kwargs)
    if not report.valid:
        raise AttestationError(report.reason)
    return report


def verify_result_signature(
    signing_public_key: bytes,
    input_hash: bytes,
    output_hash: bytes,
    timestamp: int,
    signature: bytes,
) -> RsaPssCheck:
    """Does `signature` sign keccak256(inputHash ‖ outputHash ‖ uint256 timestamp)?

    Exactly what `TEEInferenceVerifier.verifySignature` asks 0x900's `verifyRSAPSS` (without
    its registry and time-window checks).
    """
    try:
        digest = message_hash(input_hash, output_hash, timestamp)
    except (ValueError, OverflowError) as exc:
        return RsaPssCheck(False, str(exc))
    return check_rsa_pss(signing_public_key, digest, signature)
