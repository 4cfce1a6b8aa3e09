"""The dev-only certificate authority that signs simulated attestation documents: a root and
one intermediate ("zonal") CA, as AWS's chain has, deterministic from a PUBLIC seed.

DEV ONLY: anyone can derive the root's private key from `DEV_ROOT_SEED`, so a chain that
trusts this root trusts anyone (see `ogkit.tee.enclave`). Apart from the enclave because the
chain, the node and the CLI need the root (`dev_root_pem`) without an enclave.
"""

from __future__ import annotations

import datetime
import functools
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEV_ROOT_SEED = b"ape-opengradient dev-only TEE root CA v1: PUBLIC SEED, INSECURE, NOT AWS"
DEV_LABEL = "DEV ONLY - INSECURE - NOT AWS"
DEV_CA_NOT_BEFORE = datetime.datetime(2025, 1, 1)
DEV_CA_NOT_AFTER = datetime.datetime(2049, 12, 31)
LEAF_LIFETIME = datetime.timedelta(hours=3)
LEAF_BACKDATE = datetime.timedelta(minutes=2)  # covers a block up to 60 s behind the doc
_P384_ORDER = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    16,
)


def _seeded_p384(seed: bytes, label: bytes) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha384(seed + b"/" + label).digest(), "big")
    return ec.derive_private_key(scalar % (_P384_ORDER - 1) + 1, ec.SECP384R1())


def dev_subject(common_name: str) -> x509.Name:
    """A certificate name that says DEV ONLY in its organisational unit."""
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
        root_name = dev_subject("ape-opengradient.dev-nitro-root")
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
            .subject_name(dev_subject("ape-opengradient.dev-nitro-intermediate"))
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
            .subject_name(dev_subject(common_name))
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
