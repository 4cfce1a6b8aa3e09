"""Which TEE root a chain trusts, and the enclave identity that can attest under it.

0x900 checks an attestation against the chain's TEE root when the caller passes no root of
its own (og-evm: the AWS Nitro root). A development chain trusts the dev root, whose key is
public (`ogkit.tee.dev_ca`); `ogkit node --tee-root FILE` replaces it. The node's own
simulated enclave attests under the dev CA, so under another root it can attest only if
it is given a CA that chains to that root (`--tee-ca FILE`); otherwise it has no identity
the chain would accept, and TEE-mode inferences revert (see `EnclaveSlot`).
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ogkit.tee.dev_ca import DevCertificateAuthority, dev_root_pem
from precompiles.tee.certificates import root_certificates


class TrustConfigError(ValueError):
    """A TEE root or CA file that cannot be used; the message says which and why."""


def is_dev_root(root_pem: bytes | None) -> bool:
    """None (the default) or the dev root's exact certificate: trust anyone."""
    if root_pem is None:
        return True
    try:
        certificates = root_certificates(bytes(root_pem))
    except ValueError:
        return False
    dev = root_certificates(dev_root_pem())
    return any(cert in dev for cert in certificates)


def load_tee_root(path: Path | str) -> bytes:
    """The PEM in `path`, checked to hold at least one certificate (as 0x900 will parse it)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TrustConfigError(f"cannot read TEE root {path}: {exc.strerror or exc}") from None
    try:
        root_certificates(data)
    except ValueError as exc:
        raise TrustConfigError(f"TEE root {path} holds no PEM certificate: {exc}") from None
    return data


def load_tee_ca(path: Path | str, root_pem: bytes) -> DevCertificateAuthority:
    """An issuing CA from a PEM file: its P-384 private key, its certificate, then the
    certificates above it up to (and including) the root `root_pem` holds.

    The simulated enclave issues its per-document leaf certificates with this CA, so its
    attestations verify under that root. Checked here, not on the first TEE inference.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TrustConfigError(f"cannot read TEE CA {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
        chain = x509.load_pem_x509_certificates(data)
    except (ValueError, TypeError) as exc:
        raise TrustConfigError(
            f"TEE CA {path} must hold an unencrypted PEM private key and its certificates: {exc}"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
        raise TrustConfigError(f"TEE CA {path}: the key must be P-384 (Nitro's ES384)")
    if chain[0].public_key() != key.public_key():
        raise TrustConfigError(f"TEE CA {path}: the first certificate is not the key's")
    roots = root_certificates(bytes(root_pem))
    if not any(cert in roots for cert in chain):
        above = [root for root in roots if _issued_by(chain[-1], root)]
        if not above:
            raise TrustConfigError(f"TEE CA {path}: its certificates do not reach the TEE root")
        chain.append(above[0])
    for child, parent in zip(chain, chain[1:], strict=False):
        if not _issued_by(child, parent):
            raise TrustConfigError(
                f"TEE CA {path}: {child.subject.rfc4514_string()} is not signed by the "
                "certificate after it"
            )
    return ChainedCertificateAuthority(key, chain)


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Signed by `issuer`'s key, not merely naming it (the dev root and a test root may share
    a name)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


class ChainedCertificateAuthority(DevCertificateAuthority):
    """A CA given as key + chain: leaves are issued by `chain[0]`, the document's cabundle
    is the chain from the root down to it (the root alone if the key is the root's)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, chain: list[x509.Certificate]) -> None:
        super().__init__(None, chain[-1], key, chain[0])  # type: ignore[arg-type]
        self._chain = chain

    @property
    def cabundle(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in reversed(self._chain)]
