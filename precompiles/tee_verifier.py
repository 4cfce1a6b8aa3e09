"""The TEE verifier precompile at 0x…0900: og-evm's `ITEEVerifier`, byte-compatible.

    verifyAttestation(bytes attestationDocument, bytes signingPublicKey,
                      bytes tlsCertificate, bytes rootCertificate)
        view returns (bool valid, bytes32 pcrHash)                          0xf7cf40d3
    verifyRSAPSS(bytes publicKeyDER, bytes32 messageHash, bytes signature)
        view returns (bool valid)                                           0x7e26679a

Semantics follow og-evm's `precompiles/tee` (reference §10.1):

- Gas is fixed: 500,000 per attestation, 20,000 per RSA-PSS check, charged once the selector
  is known, before the arguments are decoded.
- Hard errors (a revert with a readable `Error(string)`) only for input under 4 bytes, an
  unknown selector (both cost 0) or arguments that do not ABI-decode. After decoding, every
  validation failure returns `(false, 0x0)` / `false`; nothing reverts.
- Time is the block time (`CallContext.timestamp`): no wall clock, no I/O, so every node and
  every replay of a block gets the same answer.

`check_attestation` and `check_rsa_pss` are the verification itself, with a reason for each
failure; `ogkit.tee.attestation` uses them for off-chain verification, so the chain and the
CLI can never disagree.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import verification
from eth_abi import decode, encode
from eth_utils import keccak
from pycose.algorithms import Es384
from pycose.headers import Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P384
from pycose.messages import Sign1Message

from precompiles import gas
from precompiles.guard import run_guarded
from precompiles.result import CallContext, PrecompileResult
from precompiles.revert import PrecompileRevert

VERIFY_ATTESTATION_SIGNATURE = "verifyAttestation(bytes,bytes,bytes,bytes)"
VERIFY_RSA_PSS_SIGNATURE = "verifyRSAPSS(bytes,bytes32,bytes)"
VERIFY_ATTESTATION = keccak(text=VERIFY_ATTESTATION_SIGNATURE)[:4]  # 0xf7cf40d3
VERIFY_RSA_PSS = keccak(text=VERIFY_RSA_PSS_SIGNATURE)[:4]  # 0x7e26679a

GAS_VERIFY_ATTESTATION = 500_000
GAS_VERIFY_RSA_PSS = 20_000

# Size caps (og-evm): anything over a cap is invalid, not an error.
MAX_ATTESTATION_BYTES = 16 * 1024
MAX_CERTIFICATE_BYTES = 8 * 1024  # the TLS certificate and the root certificate PEM
MAX_PUBLIC_KEY_BYTES = 8 * 1024
MAX_SIGNATURE_BYTES = 1024
# og-evm compares the modulus length in bytes (Go's `rsa.PublicKey.Size()`): 2048–8192 bits.
MIN_RSA_MODULUS_BYTES = 256
MAX_RSA_MODULUS_BYTES = 1024
MAX_PCR_BYTES = 64  # a longer PCR0–2 leaves the document valid but its pcrHash zero

# Freshness against the block time. Nitro timestamps are milliseconds; og-evm compares
# whole seconds (timestamp // 1000) with the block's seconds.
MIN_TIMESTAMP_MS = 1_738_281_600_000  # 2025-01-31 00:00 UTC
MAX_AGE_SECONDS = 300
MAX_SKEW_SECONDS = 60

USER_DATA_BYTES = 68  # 0x1220 ‖ sha256(TLS cert DER) ‖ 0x1220 ‖ sha256(signing key DER)
ES384 = -35  # COSE algorithm id
P384_SIGNATURE_BYTES = 96  # raw r ‖ s
COSE_SIGN1_TAG = 18
MAX_CBOR_DEPTH = 16
RSA_PSS_SALT_BYTES = 32
ZERO_HASH = b"\x00" * 32

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

Precompile = Callable[[bytes, CallContext], PrecompileResult]


class _Invalid(Exception):  # noqa: N818 - a verdict, not an error family
    """A validation failure: the verifier answers false with this reason."""


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


@dataclass(frozen=True)
class RsaPssCheck:
    valid: bool
    reason: str = ""


# ---------------------------------------------------------------------------------------------
# The precompile


def make_tee_verifier(trusted_root_pem: bytes) -> Precompile:
    """Bind 0x900 to the root used when a caller passes an empty `rootCertificate`.

    On og-evm that is the AWS Nitro root; a development chain passes its local dev root.
    A root that does not parse fails here, when the chain is built, not inside a block.
    """
    _root_certificates(bytes(trusted_root_pem))

    def tee_verifier(calldata: bytes, context: CallContext) -> PrecompileResult:
        return run(calldata, context, trusted_root_pem)

    return tee_verifier


def run(calldata: bytes, context: CallContext, trusted_root_pem: bytes) -> PrecompileResult:
    meter = gas.GasMeter(context.gas_available)
    return run_guarded(
        "TEEVerifier", meter, lambda: _dispatch(bytes(calldata), context, trusted_root_pem, meter)
    )


def _dispatch(
    calldata: bytes, context: CallContext, trusted_root_pem: bytes, meter: gas.GasMeter
) -> PrecompileResult:
    if len(calldata) < 4:
        raise PrecompileRevert(f"TEEVerifier: input of {len(calldata)} bytes has no selector")
    selector, args = calldata[:4], calldata[4:]
    if selector == VERIFY_ATTESTATION:
        meter.charge(GAS_VERIFY_ATTESTATION)
        document, key, tls_cert, root = _decode(
            ["bytes", "bytes", "bytes", "bytes"], args, "verifyAttestation"
        )
        check = check_attestation(
            document, key, tls_cert, root, context.timestamp, trusted_root_pem=trusted_root_pem
        )
        output = encode(["bool", "bytes32"], [check.valid, check.pcr_hash])
        return PrecompileResult(output, meter.used, reason=check.reason)
    if selector == VERIFY_RSA_PSS:
        meter.charge(GAS_VERIFY_RSA_PSS)
        key, message_hash, signature = _decode(["bytes", "bytes32", "bytes"], args, "verifyRSAPSS")
        verdict = check_rsa_pss(key, message_hash, signature)
        output = encode(["bool"], [verdict.valid])
        return PrecompileResult(output, meter.used, reason=verdict.reason)
    raise PrecompileRevert(f"TEEVerifier: unknown function selector 0x{selector.hex()}")


def _decode(types: list[str], args: bytes, method: str) -> tuple:
    """ABI-decode like go-ethereum: padding and trailing bytes are not checked."""
    try:
        return decode(types, args, strict=False)
    except Exception as exc:  # noqa: BLE001 - eth-abi raises several types, incl. OverflowError
        raise PrecompileRevert(f"TEEVerifier: malformed calldata for {method}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# verifyAttestation


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
    except _Invalid as exc:
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
    _cap("attestation document", document, MAX_ATTESTATION_BYTES)
    _cap("signing public key", signing_public_key, MAX_PUBLIC_KEY_BYTES)
    _cap("TLS certificate", tls_certificate, MAX_CERTIFICATE_BYTES)
    _cap("root certificate", root_certificate_pem, MAX_CERTIFICATE_BYTES)  # the caller's
    root_pem = root_certificate_pem or trusted_root_pem
    for name, value in (
        ("attestation document", document),
        ("signing public key", signing_public_key),
        ("TLS certificate", tls_certificate),
    ):
        if not value:
            raise _Invalid(f"{name} is empty")

    message, protected, payload, signature = _decode_cose_sign1(document)
    doc = _decode_payload(payload)
    parsed.update(doc)
    pcrs = doc["pcrs"]
    for index in (0, 1, 2):
        if index not in pcrs:
            raise _Invalid(f"missing PCR{index}")
    _check_freshness(doc["timestamp_ms"], block_time)

    try:
        leaf = x509.load_der_x509_certificate(doc["certificate"])
        leaf_key = leaf.public_key()
    except Exception as exc:  # noqa: BLE001
        raise _Invalid(f"leaf certificate does not parse: {exc}") from None
    _check_cose_signature(message, protected, signature, leaf_key)
    _check_chain(leaf, doc["cabundle"], root_pem, block_time)

    user_data = doc["user_data"] or b""
    if len(user_data) != USER_DATA_BYTES:
        raise _Invalid(f"user_data is {len(user_data)} bytes, expected {USER_DATA_BYTES}")
    if user_data[2:34] != hashlib.sha256(tls_certificate).digest():
        raise _Invalid("user_data does not bind this TLS certificate (sha256 differs)")
    if user_data[36:68] != hashlib.sha256(signing_public_key).digest():
        raise _Invalid("user_data does not bind this signing key (sha256 differs)")


def _cap(name: str, value: bytes, limit: int) -> None:
    if len(value) > limit:
        raise _Invalid(f"{name} of {len(value)} bytes exceeds {limit}")


def _cbor(data: bytes, what: str):
    """Decode exactly one CBOR item; trailing bytes, duplicate keys and deep nesting fail."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(
            stream, max_depth=MAX_CBOR_DEPTH, allow_duplicate_keys=False
        ).decode()
    except Exception as exc:  # noqa: BLE001 - cbor2 raises CBORDecodeError, ValueError, …
        raise _Invalid(f"{what} is not valid CBOR: {exc}") from None
    if stream.tell() != len(data):
        raise _Invalid(f"{what} has {len(data) - stream.tell()} bytes after its CBOR item")
    return value


def _decode_cose_sign1(document: bytes) -> tuple[list, bytes, bytes, bytes]:
    """[protected, unprotected, payload, signature]: untagged as Nitro sends it, or tag 18."""
    message = _cbor(document, "attestation document")
    if isinstance(message, cbor2.CBORTag) and message.tag == COSE_SIGN1_TAG:
        message = message.value
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise _Invalid("attestation document is not a COSE_Sign1 array of 4 items")
    protected, unprotected, payload, signature = message
    if not isinstance(protected, bytes):
        raise _Invalid("COSE protected header is not a byte string")
    if not isinstance(unprotected, Mapping):  # a frozendict inside tag 18
        raise _Invalid("COSE unprotected header is not a map")
    if not isinstance(payload, bytes):
        raise _Invalid("COSE payload is not a byte string")
    if not isinstance(signature, bytes):
        raise _Invalid("COSE signature is not a byte string")
    return [protected, dict(unprotected), payload, signature], protected, payload, signature


_OPTIONAL_BYTES = ("public_key", "user_data", "nonce")


def _decode_payload(payload: bytes) -> dict:
    doc = _cbor(payload, "attestation payload")
    if not isinstance(doc, dict):
        raise _Invalid("attestation payload is not a CBOR map")
    out: dict = {}

    module_id = doc.get("module_id", "")
    if not isinstance(module_id, str):
        raise _Invalid("module_id is not a text string")
    out["module_id"] = module_id
    if not isinstance(doc.get("digest", ""), str):
        raise _Invalid("digest is not a text string")

    timestamp = doc.get("timestamp", 0)
    if type(timestamp) is not int or not 0 <= timestamp < 1 << 64:
        raise _Invalid("timestamp is not an unsigned 64-bit integer")
    out["timestamp_ms"] = timestamp

    pcrs = doc.get("pcrs", {})
    if not isinstance(pcrs, dict) or not all(
        type(k) is int and isinstance(v, bytes) for k, v in pcrs.items()
    ):
        raise _Invalid("pcrs is not a map of integer indices to byte strings")
    out["pcrs"] = dict(pcrs)

    certificate = doc.get("certificate", b"")
    if not isinstance(certificate, bytes):
        raise _Invalid("certificate is not a byte string")
    out["certificate"] = certificate
    cabundle = doc.get("cabundle", [])
    if not isinstance(cabundle, list | tuple) or not all(isinstance(c, bytes) for c in cabundle):
        raise _Invalid("cabundle is not an array of byte strings")
    out["cabundle"] = tuple(cabundle)

    for name in _OPTIONAL_BYTES:
        value = doc.get(name)
        if value is not None and not isinstance(value, bytes):
            raise _Invalid(f"{name} is neither null nor a byte string")
        out[name] = value
    return out


def _check_freshness(timestamp_ms: int, block_time: int) -> None:
    if timestamp_ms < MIN_TIMESTAMP_MS:
        raise _Invalid(f"timestamp {timestamp_ms} ms is before {MIN_TIMESTAMP_MS} ms")
    seconds = timestamp_ms // 1000
    if block_time - seconds > MAX_AGE_SECONDS:
        raise _Invalid(
            f"attestation is stale: {block_time - seconds} s older than the block "
            f"(max {MAX_AGE_SECONDS} s)"
        )
    if seconds - block_time > MAX_SKEW_SECONDS:
        raise _Invalid(
            f"attestation is from the future: {seconds - block_time} s after the block "
            f"(max {MAX_SKEW_SECONDS} s)"
        )


def _check_cose_signature(message: list, protected: bytes, signature: bytes, leaf_key) -> None:
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey) or not isinstance(
        leaf_key.curve, ec.SECP384R1
    ):
        raise _Invalid("leaf certificate key is not ECDSA P-384")
    if len(signature) != P384_SIGNATURE_BYTES:
        raise _Invalid(f"COSE signature is {len(signature)} bytes, expected r ‖ s of 96")
    header = _cbor(protected, "COSE protected header") if protected else {}
    if not isinstance(header, dict) or type(header.get(1)) is not int or header[1] != ES384:
        raise _Invalid("COSE protected header does not declare alg ES384 (-35)")
    try:
        # pycose keeps the protected header's bytes as sent and builds the Sig_structure
        # ["Signature1", protected, b"", payload] from them.
        cose = Sign1Message.from_cose_obj(list(message), allow_unknown_attributes=True)
        if cose.phdr.get(Algorithm) is not Es384:
            raise _Invalid("COSE protected header does not declare ES384")
        numbers = leaf_key.public_numbers()
        cose.key = EC2Key(
            crv=P384, x=numbers.x.to_bytes(48, "big"), y=numbers.y.to_bytes(48, "big")
        )
        verified = cose.verify_signature()
    except _Invalid:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _Invalid(f"COSE signature does not verify: {type(exc).__name__}: {exc}") from None
    if not verified:
        raise _Invalid("COSE ES384 signature does not verify against the leaf certificate")


@functools.lru_cache(maxsize=32)
def _root_certificates(root_pem: bytes) -> tuple[x509.Certificate, ...]:
    certificates = x509.load_pem_x509_certificates(root_pem)
    if not certificates:
        raise ValueError("no certificate in the root PEM")
    return tuple(certificates)


def _check_chain(
    leaf: x509.Certificate, cabundle: tuple[bytes, ...], root_pem: bytes, block_time: int
) -> None:
    """leaf → cabundle → root, every certificate valid at the block time."""
    try:
        roots = _root_certificates(bytes(root_pem))
    except Exception as exc:  # noqa: BLE001
        raise _Invalid(f"root certificate is not PEM: {exc}") from None
    try:
        intermediates = [x509.load_der_x509_certificate(der) for der in cabundle]
    except Exception as exc:  # noqa: BLE001
        raise _Invalid(f"cabundle certificate does not parse: {exc}") from None
    try:
        at = _EPOCH + datetime.timedelta(seconds=block_time)
    except OverflowError:
        raise _Invalid(f"block time {block_time} is out of range") from None
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
        raise _Invalid(f"certificate chain does not verify at block time: {exc}") from None


# ---------------------------------------------------------------------------------------------
# verifyRSAPSS


def check_rsa_pss(public_key_der: bytes, message_hash: bytes, signature: bytes) -> RsaPssCheck:
    """RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) over the 32-byte `message_hash`.

    og-evm passes sha256(messageHash) to Go's `rsa.VerifyPSS(…, SHA256, …)`, which is exactly
    plain RSA-PSS-SHA256 with `message_hash` as the message: what `cryptography` verifies
    here and what `ogkit.tee.enclave` signs. Never raises.
    """
    try:
        _check_rsa_pss(public_key_der, message_hash, signature)
    except _Invalid as exc:
        return RsaPssCheck(False, str(exc))
    except Exception as exc:  # noqa: BLE001
        return RsaPssCheck(False, f"unexpected {type(exc).__name__}: {exc}")
    return RsaPssCheck(True)


def _check_rsa_pss(public_key_der: bytes, message_hash: bytes, signature: bytes) -> None:
    _cap("public key", public_key_der, MAX_PUBLIC_KEY_BYTES)
    _cap("signature", signature, MAX_SIGNATURE_BYTES)
    if len(message_hash) != 32:
        raise _Invalid("message hash is not 32 bytes")
    try:
        key = serialization.load_der_public_key(public_key_der)
    except Exception as exc:  # noqa: BLE001
        raise _Invalid(f"public key is not SubjectPublicKeyInfo DER: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise _Invalid("public key is not RSA")
    # Go's ParsePKIXPublicKey takes only canonical SPKI (no PKCS#1, no trailing bytes).
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if spki != public_key_der:
        raise _Invalid("public key is not canonical SubjectPublicKeyInfo DER")
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    if not MIN_RSA_MODULUS_BYTES <= size <= MAX_RSA_MODULUS_BYTES:
        raise _Invalid(f"RSA modulus of {numbers.n.bit_length()} bits is outside 2048–8192")
    if numbers.e < 3 or numbers.e > (1 << 31) - 1 or numbers.e % 2 == 0:
        raise _Invalid(f"RSA public exponent {numbers.e} is not supported")
    if len(signature) != size:
        raise _Invalid(f"signature is {len(signature)} bytes, the modulus {size}")
    try:
        key.verify(
            signature,
            message_hash,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=RSA_PSS_SALT_BYTES),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise _Invalid("RSA-PSS signature does not verify") from None
