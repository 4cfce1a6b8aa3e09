"""An AWS Nitro attestation document: CBOR, its COSE_Sign1 envelope, its payload map and
its ES384 signature, each checked as strictly as og-evm does.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec
from pycose.algorithms import Es384
from pycose.headers import Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P384
from pycose.messages import Sign1Message

from precompiles.tee.verdict import Invalid

ES384 = -35  # COSE algorithm id
P384_SIGNATURE_BYTES = 96  # raw r ‖ s
COSE_SIGN1_TAG = 18
MAX_CBOR_DEPTH = 16


def decode_cbor(data: bytes, what: str) -> object:
    """Decode exactly one CBOR item; trailing bytes, duplicate keys and deep nesting fail."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(
            stream, max_depth=MAX_CBOR_DEPTH, allow_duplicate_keys=False
        ).decode()
    except Exception as exc:  # noqa: BLE001 - cbor2 raises CBORDecodeError, ValueError, …
        raise Invalid(f"{what} is not valid CBOR: {exc}") from None
    if stream.tell() != len(data):
        raise Invalid(f"{what} has {len(data) - stream.tell()} bytes after its CBOR item")
    return value


def decode_cose_sign1(document: bytes) -> tuple[list, bytes, bytes, bytes]:
    """[protected, unprotected, payload, signature]: untagged as Nitro sends it, or tag 18."""
    message = decode_cbor(document, "attestation document")
    if isinstance(message, cbor2.CBORTag) and message.tag == COSE_SIGN1_TAG:
        message = message.value
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise Invalid("attestation document is not a COSE_Sign1 array of 4 items")
    protected, unprotected, payload, signature = message
    if not isinstance(protected, bytes):
        raise Invalid("COSE protected header is not a byte string")
    if not isinstance(unprotected, Mapping):  # a frozendict inside tag 18
        raise Invalid("COSE unprotected header is not a map")
    if not isinstance(payload, bytes):
        raise Invalid("COSE payload is not a byte string")
    if not isinstance(signature, bytes):
        raise Invalid("COSE signature is not a byte string")
    return [protected, dict(unprotected), payload, signature], protected, payload, signature


_OPTIONAL_BYTES = ("public_key", "user_data", "nonce")


def decode_payload(payload: bytes) -> dict:
    """The Nitro payload map, type-checked field by field, as `AttestationCheck` fields."""
    doc = decode_cbor(payload, "attestation payload")
    if not isinstance(doc, dict):
        raise Invalid("attestation payload is not a CBOR map")
    out: dict = {}

    module_id = doc.get("module_id", "")
    if not isinstance(module_id, str):
        raise Invalid("module_id is not a text string")
    out["module_id"] = module_id
    if not isinstance(doc.get("digest", ""), str):
        raise Invalid("digest is not a text string")

    timestamp = doc.get("timestamp", 0)
    if type(timestamp) is not int or not 0 <= timestamp < 1 << 64:
        raise Invalid("timestamp is not an unsigned 64-bit integer")
    out["timestamp_ms"] = timestamp

    pcrs = doc.get("pcrs", {})
    if not isinstance(pcrs, dict) or not all(
        type(k) is int and isinstance(v, bytes) for k, v in pcrs.items()
    ):
        raise Invalid("pcrs is not a map of integer indices to byte strings")
    out["pcrs"] = dict(pcrs)

    certificate = doc.get("certificate", b"")
    if not isinstance(certificate, bytes):
        raise Invalid("certificate is not a byte string")
    out["certificate"] = certificate
    cabundle = doc.get("cabundle", [])
    if not isinstance(cabundle, list | tuple) or not all(isinstance(c, bytes) for c in cabundle):
        raise Invalid("cabundle is not an array of byte strings")
    out["cabundle"] = tuple(cabundle)

    for name in _OPTIONAL_BYTES:
        value = doc.get(name)
        if value is not None and not isinstance(value, bytes):
            raise Invalid(f"{name} is neither null nor a byte string")
        out[name] = value
    return out


def check_cose_signature(
    message: list, protected: bytes, signature: bytes, leaf_key: object
) -> None:
    """The document's ES384 signature, by the leaf certificate's P-384 key."""
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey) or not isinstance(
        leaf_key.curve, ec.SECP384R1
    ):
        raise Invalid("leaf certificate key is not ECDSA P-384")
    if len(signature) != P384_SIGNATURE_BYTES:
        raise Invalid(f"COSE signature is {len(signature)} bytes, expected r ‖ s of 96")
    header = decode_cbor(protected, "COSE protected header") if protected else {}
    if not isinstance(header, dict) or type(header.get(1)) is not int or header[1] != ES384:
        raise Invalid("COSE protected header does not declare alg ES384 (-35)")
    try:
        # pycose keeps the protected header's bytes as sent and builds the Sig_structure
        # ["Signature1", protected, b"", payload] from them.
        cose = Sign1Message.from_cose_obj(list(message), allow_unknown_attributes=True)
        if cose.phdr.get(Algorithm) is not Es384:
            raise Invalid("COSE protected header does not declare ES384")
        numbers = leaf_key.public_numbers()
        cose.key = EC2Key(
            crv=P384, x=numbers.x.to_bytes(48, "big"), y=numbers.y.to_bytes(48, "big")
        )
        verified = cose.verify_signature()
    except Invalid:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Invalid(f"COSE signature does not verify: {type(exc).__name__}: {exc}") from None
    if not verified:
        raise Invalid("COSE ES384 signature does not verify against the leaf certificate")
