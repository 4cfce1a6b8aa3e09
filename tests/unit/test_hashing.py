"""The process's keccak256 (ogkit/hashing.py): pysha3's, with the digests of pycryptodome's."""

from __future__ import annotations

import os

from Crypto.Hash import keccak as pycryptodome_keccak
from eth_hash.auto import keccak
from eth_hash.backends.pysha3 import backend as pysha3

import ogkit  # noqa: F401 - importing ogkit installs it


def reference(data: bytes) -> bytes:
    return pycryptodome_keccak.new(data=data, digest_bits=256).digest()


def test_ogkit_hashes_with_pysha3():
    assert keccak.hasher == pysha3.keccak256
    assert keccak.preimage == pysha3.preimage


def test_known_digests_and_pycryptodome_agree():
    assert keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak(b"abc").hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )
    for size in (1, 31, 32, 33, 135, 136, 137, 1000, 100_000):
        data = os.urandom(size)
        assert keccak(data) == reference(data)
        assert keccak(bytearray(data)) == reference(data)


def test_preimage_updates_like_one_hash():
    parts = [os.urandom(n) for n in (0, 7, 136, 300)]
    pre = keccak.new(parts[0])
    for part in parts[1:]:
        pre.update(part)
    copy = pre.copy()
    assert pre.digest() == copy.digest() == reference(b"".join(parts))
