"""A locally simulated AWS Nitro enclave, in the real formats. DEVELOPMENT ONLY.

Nothing here runs in an enclave, so nothing here proves anything about hardware: the
attestation documents are signed by a certificate chain that ends at a **dev root CA whose
private key anyone can derive from a public seed** (like the "test test … junk" mnemonic).
A chain that trusts this root trusts anyone. It exists so that the whole TEE path — the
attestation, the 0x900 verifier, the registry and settlement — runs locally end to end with
the exact bytes a real Nitro enclave and OpenGradient's TEE gateway produce:

- An attestation document is an untagged COSE_Sign1 CBOR array [protected, unprotected,
  payload, signature], protected header {1: -35} (ES384), signature raw r ‖ s over
  ["Signature1", protected, b"", payload], by a fresh P-384 leaf certificate per document
  (valid for hours, as AWS's), chained through `cabundle` = [root, intermediate] to the root.
- The payload map holds module_id, digest "SHA384", timestamp (ms), pcrs (0–15, 48 bytes
  each; PCR0–2 measure the simulated image), certificate, cabundle, public_key, user_data and
  nonce. user_data = 0x1220 ‖ sha256(TLS cert DER) ‖ 0x1220 ‖ sha256(signing key DER), as
  nitriding writes it.
- The signing key is RSA-2048. A result is signed with RSA-PSS (SHA-256, MGF1-SHA-256, salt
  32) over keccak256(inputHash ‖ outputHash ‖ uint256 timestamp), as the TEE gateway does;
  `tee_id` = keccak256(signing key SubjectPublicKeyInfo DER).

For a real deployment the verifier is configured with the AWS Nitro root
(`precompiles.tee.certificates.AWS_NITRO_ROOT_PEM`) and these documents are rejected.

The formats are in `ogkit.tee.signing` and the dev CA in `ogkit.tee.dev_ca`.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from eth_utils import keccak

from ogkit.tee.dev_ca import (
    DevCertificateAuthority,
    dev_root_ca,
    dev_subject,
)
from ogkit.tee.signing import (
    cose_sign1_es384,
    heartbeat_hash,
    message_hash,
    nitriding_user_data,
    public_key_der,
    sign_rsa_pss,
)
from precompiles.tee.attestation import pcr_hash

TLS_LIFETIME = datetime.timedelta(days=365)
PCR_COUNT = 16
DEV_IMAGE = b"ape-opengradient simulated enclave image v1"
_EPOCH = datetime.datetime(1970, 1, 1)


def dev_pcrs(image: bytes = DEV_IMAGE) -> dict[int, bytes]:
    """PCR0–15 of a simulated image: PCR0–2 measure it, the rest are zero as in debug-free
    Nitro documents without an IAM role or signing certificate."""
    pcrs = {i: b"\x00" * 48 for i in range(PCR_COUNT)}
    for index, part in enumerate((b"image", b"kernel+ramfs", b"application")):
        pcrs[index] = hashlib.sha384(b"PCR%d/" % index + part + b"/" + image).digest()
    return pcrs


@dataclass(frozen=True)
class SignedResult:
    """A TEE-mode result signature, in the fields `settleIndividual` takes."""

    tee_id: bytes
    input_hash: bytes
    output_hash: bytes
    timestamp: int
    message_hash: bytes
    signature: bytes


class SimulatedEnclave:
    """An inference node's enclave: RSA-2048 signing key, TLS certificate, attestations.

    DEV ONLY: the keys live in this process and the attestation chains to `ca`, by default
    the dev root. `clock` (Unix seconds) stamps documents when no timestamp is given.
    """

    def __init__(
        self,
        *,
        ca: DevCertificateAuthority | None = None,
        pcrs: dict[int, bytes] | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        rsa_bits: int = 2048,
        module_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ca = ca or dev_root_ca()
        self.pcrs = dict(pcrs if pcrs is not None else dev_pcrs())
        self.signing_key = signing_key or rsa.generate_private_key(65537, rsa_bits)
        self.clock = clock
        self.signing_public_key_der = public_key_der(self.signing_key)
        self.tee_id = keccak(self.signing_public_key_der)
        self.module_id = module_id or f"i-{self.tee_id[:8].hex()}-enc{self.tee_id[8:16].hex()}"
        self._tls_key = ec.generate_private_key(ec.SECP256R1())
        self.tls_certificate_der = self._tls_certificate(self._now()).public_bytes(
            serialization.Encoding.DER
        )
        self.user_data = nitriding_user_data(self.tls_certificate_der, self.signing_public_key_der)

    @property
    def signing_public_key_pem(self) -> bytes:
        return self.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def pcr_hash(self) -> bytes:
        return pcr_hash(self.pcrs[0], self.pcrs[1], self.pcrs[2])

    def tls_private_key_pem(self) -> bytes:
        """The TLS key, for the process that serves the enclave's HTTPS (`ogkit gateway`):
        clients pin `tls_certificate_der` through the registry."""
        return self._tls_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def _now(self) -> datetime.datetime:
        return _EPOCH + datetime.timedelta(seconds=int(self.clock()))

    def _tls_certificate(self, at: datetime.datetime) -> x509.Certificate:
        """Self-signed, as nitriding's; clients pin it through user_data and the registry."""
        name = dev_subject(f"{self.module_id}.dev-enclave.local")
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._tls_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(at - datetime.timedelta(days=1))
            .not_valid_after(at + TLS_LIFETIME)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(self._tls_key, hashes.SHA256())
        )

    def attestation_document(
        self,
        *,
        nonce: bytes | None = None,
        timestamp_ms: int | None = None,
        user_data: bytes | None = None,
        public_key: bytes | None = None,
        pcrs: dict[int, bytes] | None = None,
    ) -> bytes:
        """A Nitro attestation document, as `GET /enclave/attestation?nonce=…` returns it.

        The keyword overrides exist to build bad documents in tests; by default the document
        carries this enclave's PCRs and binds its TLS certificate and signing key.
        """
        if timestamp_ms is None:
            timestamp_ms = int(self.clock() * 1000)
        at = _EPOCH + datetime.timedelta(milliseconds=timestamp_ms)
        leaf_key = ec.generate_private_key(ec.SECP384R1())
        leaf = self.ca.issue_leaf(leaf_key, f"{self.module_id}.dev-nitro-enclaves", at)
        payload = cbor2.dumps(
            {
                "module_id": self.module_id,
                "digest": "SHA384",
                "timestamp": timestamp_ms,
                "pcrs": dict(pcrs if pcrs is not None else self.pcrs),
                "certificate": leaf.public_bytes(serialization.Encoding.DER),
                "cabundle": self.ca.cabundle,
                "public_key": public_key,
                "user_data": self.user_data if user_data is None else user_data,
                "nonce": nonce,
            }
        )
        return cose_sign1_es384(payload, leaf_key)

    def sign_message_hash(self, message_hash_32: bytes) -> bytes:
        return sign_rsa_pss(self.signing_key, message_hash_32)

    def sign_result(self, input_hash: bytes, output_hash: bytes, timestamp: int) -> SignedResult:
        """Sign a TEE-mode result as the gateway does (`tee_signature`)."""
        digest = message_hash(input_hash, output_hash, timestamp)
        return SignedResult(
            self.tee_id,
            input_hash,
            output_hash,
            timestamp,
            digest,
            self.sign_message_hash(digest),
        )

    def sign_heartbeat(self, timestamp: int) -> bytes:
        """The signature `TEERegistry.heartbeat(teeId, timestamp, signature)` checks."""
        return self.sign_message_hash(heartbeat_hash(self.tee_id, timestamp))
