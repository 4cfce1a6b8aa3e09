"""Helpers of the 0x900 TEE verifier tests (tests/unit/tee_verifier/): the block time the
documents are stamped at, a call context, and the verifyAttestation / verifyRSAPSS calldata."""

from __future__ import annotations

from eth_abi import encode

from precompiles.host import CallContext
from precompiles.tee.precompile import VERIFY_ATTESTATION, VERIFY_RSA_PSS

NOW = 1_770_000_000  # block time (s) of most tests; documents are stamped NOW * 1000
SENDER = bytes.fromhex("33" * 20)


def context(block_time: int = NOW, gas: int = 10_000_000) -> CallContext:
    return CallContext(SENDER, SENDER, 1, block_time, gas)


def attestation_call(document: bytes, key: bytes, tls: bytes, root: bytes = b"") -> bytes:
    return VERIFY_ATTESTATION + encode(["bytes"] * 4, [document, key, tls, root])


def rsa_call(key: bytes, digest: bytes, signature: bytes) -> bytes:
    return VERIFY_RSA_PSS + encode(["bytes", "bytes32", "bytes"], [key, digest, signature])
