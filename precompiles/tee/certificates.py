"""The certificate chain of an attestation: leaf, cabundle, root, checked at the block time."""

from __future__ import annotations

import datetime
import functools

from cryptography import x509
from cryptography.x509 import verification

from precompiles.tee.verdict import Invalid

# The AWS Nitro Enclaves attestation root (G1), as published by AWS; SHA-256 fingerprint
# 641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B. og-evm uses it when the
# caller passes an empty root; a chain here passes the root it is configured with instead.
AWS_NITRO_ROOT_PEM = b"""-----BEGIN CERTIFICATE-----
MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD
VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4
MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL
DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG
BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb
48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE
h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF
R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC
MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW
rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N
IwLz3/Y=
-----END CERTIFICATE-----
"""

_EPOCH = datetime.datetime(1970, 1, 1)


@functools.lru_cache(maxsize=32)
def root_certificates(root_pem: bytes) -> tuple[x509.Certificate, ...]:
    """The certificates of a root PEM (cached: a chain checks the same root every call)."""
    certificates = x509.load_pem_x509_certificates(root_pem)
    if not certificates:
        raise ValueError("no certificate in the root PEM")
    return tuple(certificates)


def check_chain(
    leaf: x509.Certificate, cabundle: tuple[bytes, ...], root_pem: bytes, block_time: int
) -> None:
    """leaf → cabundle → root, every certificate valid at the block time."""
    try:
        roots = root_certificates(bytes(root_pem))
    except Exception as exc:  # noqa: BLE001
        raise Invalid(f"root certificate is not PEM: {exc}") from None
    try:
        intermediates = [x509.load_der_x509_certificate(der) for der in cabundle]
    except Exception as exc:  # noqa: BLE001
        raise Invalid(f"cabundle certificate does not parse: {exc}") from None
    try:
        at = _EPOCH + datetime.timedelta(seconds=block_time)
    except OverflowError:
        raise Invalid(f"block time {block_time} is out of range") from None
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store(list(roots)))
        .time(at)
        .extension_policies(
            # CAs as in RFC 5280 / the Web PKI (basicConstraints, keyUsage, AKI); the Nitro
            # leaf carries no EKU or SAN, so its extensions are left unconstrained.
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=verification.ExtensionPolicy.permit_all(),
        )
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, intermediates)
    except Exception as exc:  # noqa: BLE001 - VerificationError, or anything odd in the chain
        raise Invalid(f"certificate chain does not verify at block time: {exc}") from None
