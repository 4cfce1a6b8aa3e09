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
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from eth_utils import keccak
from pycose.algorithms import Es384
from pycose.headers import Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P384
from pycose.messages import Sign1Message

from precompiles.tee.attestation import pcr_hash
from precompiles.tee.rsa_pss import RSA_PSS_SALT_BYTES

DEV_ROOT_SEED = b"ape-opengradient dev-only TEE root CA v1: PUBLIC SEED, INSECURE, NOT AWS"
DEV_LABEL = "DEV ONLY - INSECURE - NOT AWS"
DEV_CA_NOT_BEFORE = datetime.datetime(2025, 1, 1)
DEV_CA_NOT_AFTER = datetime.datetime(2049, 12, 31)
LEAF_LIFETIME = datetime.timedelta(hours=3)
LEAF_BACKDATE = datetime.timedelta(minutes=2)  # covers a block up to 60 s behind the doc
TLS_LIFETIME = datetime.timedelta(days=365)
MULTIHASH_SHA256 = b"\x12\x20"
PCR_COUNT = 16
DEV_IMAGE = b"ape-opengradient simulated enclave image v1"
_P384_ORDER = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    16,
)
_EPOCH = datetime.datetime(1970, 1, 1)


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


def _seeded_p384(seed: bytes, label: bytes) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha384(seed + b"/" + label).digest(), "big")
    return ec.derive_private_key(scalar % (_P384_ORDER - 1) + 1, ec.SECP384R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ape-opengradient"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_LABEL),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_extensions(
    builder: x509.CertificateBuilder,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePublicKey,
) -> x509.CertificateBuilder:
    return (
        builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False
        )
    )


class DevCertificateAuthority:
    """A root CA and one intermediate ("zonal") CA that issue enclave leaf certificates.

    `from_seed` is deterministic — the same seed gives byte-identical PEM in every process
    (key from the seed, RFC 6979 signatures, fixed serials and dates) — so the chain, the
    node and the CLI agree on the dev root without sharing a file. `generate` makes a
    random one (e.g. an "untrusted root" in tests). DEV ONLY: see the module docstring.
    """

    def __init__(
        self,
        root_key: ec.EllipticCurvePrivateKey,
        root_certificate: x509.Certificate,
        intermediate_key: ec.EllipticCurvePrivateKey,
        intermediate_certificate: x509.Certificate,
    ) -> None:
        self.root_key = root_key
        self.root_certificate = root_certificate
        self.intermediate_key = intermediate_key
        self.intermediate_certificate = intermediate_certificate

    @classmethod
    def from_seed(
        cls,
        seed: bytes = DEV_ROOT_SEED,
        *,
        not_before: datetime.datetime = DEV_CA_NOT_BEFORE,
        not_after: datetime.datetime = DEV_CA_NOT_AFTER,
        intermediate_not_after: datetime.datetime | None = None,
    ) -> DevCertificateAuthority:
        serial = int.from_bytes(hashlib.sha256(seed).digest()[:16], "big") | 1
        return cls._build(
            _seeded_p384(seed, b"root"),
            _seeded_p384(seed, b"intermediate"),
            serial,
            not_before,
            not_after,
            intermediate_not_after or not_after,
        )

    @classmethod
    def generate(
        cls,
        *,
        not_before: datetime.datetime = DEV_CA_NOT_BEFORE,
        not_after: datetime.datetime = DEV_CA_NOT_AFTER,
        intermediate_not_after: datetime.datetime | None = None,
    ) -> DevCertificateAuthority:
        return cls._build(
            ec.generate_private_key(ec.SECP384R1()),
            ec.generate_private_key(ec.SECP384R1()),
            x509.random_serial_number(),
            not_before,
            not_after,
            intermediate_not_after or not_after,
        )

    @classmethod
    def _build(
        cls,
        root_key: ec.EllipticCurvePrivateKey,
        intermediate_key: ec.EllipticCurvePrivateKey,
        serial: int,
        not_before: datetime.datetime,
        not_after: datetime.datetime,
        intermediate_not_after: datetime.datetime,
    ) -> DevCertificateAuthority:
        root_name = _name("ape-opengradient.dev-nitro-root")
        root = _ca_extensions(
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after),
            root_key.public_key(),
            root_key.public_key(),
        ).sign(root_key, hashes.SHA384(), ecdsa_deterministic=True)
        intermediate = _ca_extensions(
            x509.CertificateBuilder()
            .subject_name(_name("ape-opengradient.dev-nitro-intermediate"))
            .issuer_name(root_name)
            .public_key(intermediate_key.public_key())
            .serial_number(serial + 2)
            .not_valid_before(not_before)
            .not_valid_after(intermediate_not_after),
            intermediate_key.public_key(),
            root_key.public_key(),
        ).sign(root_key, hashes.SHA384(), ecdsa_deterministic=True)
        return cls(root_key, root, intermediate_key, intermediate)

    @property
    def root_pem(self) -> bytes:
        return self.root_certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cabundle(self) -> list[bytes]:
        """DER certificates from the root down, as in a Nitro document."""
        return [
            c.public_bytes(serialization.Encoding.DER)
            for c in (self.root_certificate, self.intermediate_certificate)
        ]

    def issue_leaf(
        self, key: ec.EllipticCurvePrivateKey, common_name: str, at: datetime.datetime
    ) -> x509.Certificate:
        """A P-384 leaf like the NSM's: issued for one document, valid for a few hours."""
        return (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.intermediate_certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(at - LEAF_BACKDATE)
            .not_valid_after(at + LEAF_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=False,
            )
            .sign(self.intermediate_key, hashes.SHA384())
        )


@functools.cache
def dev_root_ca() -> DevCertificateAuthority:
    """The project's dev root CA (deterministic from `DEV_ROOT_SEED`). DEV ONLY."""
    return DevCertificateAuthority.from_seed(DEV_ROOT_SEED)


def dev_root_pem() -> bytes:
    """PEM of the dev root: the trusted TEE root of a development chain. DEV ONLY."""
    return dev_root_ca().root_pem


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

    def _now(self) -> datetime.datetime:
        return _EPOCH + datetime.timedelta(seconds=int(self.clock()))

    def _tls_certificate(self, at: datetime.datetime) -> x509.Certificate:
        """Self-signed, as nitriding's; clients pin it through user_data and the registry."""
        name = _name(f"{self.module_id}.dev-enclave.local")
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
