"""OpenZeppelin's StandardMerkleTree, for `batchSettle` roots and `verifyProof` proofs.

The facilitator builds `StandardMerkleTree.of(values, types)` with @openzeppelin/merkle-tree
(JavaScript); no maintained Python port exists, so this follows its algorithm — leaf =
keccak256(keccak256(abi.encode(values))), leaves sorted, sorted-pair hashing, the tree laid
out as an array — and tests/unit/test_merkle.py checks it against the JS library itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak

SETTLEMENT_LEAF_TYPES = ("bytes32", "bytes32", "bytes32", "bytes", "uint256")
"""The facilitator's leaves: (teeId, inputHash, outputHash, signature, timestamp)."""


def _hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def standard_leaf(types: Sequence[str], values: Sequence) -> bytes:
    return keccak(keccak(encode(list(types), list(values))))


class StandardMerkleTree:
    """`StandardMerkleTree.of(values, types)` with the library's default `sortLeaves: true`."""

    def __init__(self, values: Sequence[Sequence], types: Sequence[str]) -> None:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted((standard_leaf(types, v), i) for i, v in enumerate(values))
        n = len(hashed)
        self.tree: list[bytes] = [b""] * (2 * n - 1)
        self._position: dict[int, int] = {}  # value index → tree index
        for i, (leaf, value_index) in enumerate(hashed):
            self.tree[len(self.tree) - 1 - i] = leaf
            self._position[value_index] = len(self.tree) - 1 - i
        for i in range(len(self.tree) - 1 - n, -1, -1):
            self.tree[i] = _hash_pair(self.tree[2 * i + 1], self.tree[2 * i + 2])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def leaf(self, value_index: int) -> bytes:
        return self.tree[self._position[value_index]]

    def proof(self, value_index: int) -> list[bytes]:
        i, path = self._position[value_index], []
        while i > 0:
            path.append(self.tree[i + 1 if i % 2 == 1 else i - 1])
            i = (i - 1) // 2
        return path


def verify(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """OpenZeppelin `MerkleProof.verify`, off chain."""
    node = leaf
    for sibling in proof:
        node = _hash_pair(node, sibling)
    return node == root
