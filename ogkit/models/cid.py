"""Content ids of stored models: CIDv1, raw codec, sha2-256, base32 — via `multiformats`."""

from __future__ import annotations

import hashlib

from multiformats import CID, multihash


def cid_for(data: bytes) -> str:
    return str(CID("base32", 1, "raw", multihash.digest(data, "sha2-256")))


def sha256_of_cid(cid: str) -> bytes | None:
    """The file digest a CIDv1 sha2-256 id commits to, or None if `cid` is not one."""
    try:
        parsed = CID.decode(cid)
    except Exception:  # noqa: BLE001 - multiformats raises several unrelated types
        return None
    if parsed.version != 1 or parsed.hashfun.name != "sha2-256":
        return None
    return bytes(multihash.unwrap(parsed.digest))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def cid_of_sha256(digest: bytes) -> str:
    """The CID of the file whose sha256 is `digest` (the engine's model hash): the same id
    `cid_for` gives that file, without reading it."""
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))
