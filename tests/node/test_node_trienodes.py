"""The node's cheaper py-trie hot spots (ogkit/node/chain/trienodes.py) give py-trie's own
answers: the same nibbles, the same nodes, roots and errors, and every caller its own copy
of a node (py-trie changes nodes in place)."""

from __future__ import annotations

import random

import pytest
import rlp
import trie.hexary
import trie.utils.nibbles
from eth_hash.auto import keccak
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode
from trie.utils.nibbles import _bytes_to_nibbles

from ogkit.node.chain import trienodes


@pytest.mark.parametrize("length", [0, 1, 2, 20, 31, 32, 33, 100])
def test_nibbles_as_py_trie_makes_them(length):
    rng = random.Random(length)
    for _ in range(50):
        value = bytes(rng.randrange(256) for _ in range(length))
        assert trienodes.bytes_to_nibbles(value) == tuple(_bytes_to_nibbles(value))
    assert trienodes.bytes_to_nibbles(b"\x0f\xa0") == (0, 15, 10, 0)
    assert trienodes.bytes_to_nibbles(bytearray(b"\x12")) == (1, 2)


def _build(get_node) -> tuple[list[bytes], dict[bytes, bytes], list]:
    """Roots after each step of one sequence of sets and deletes, the database, and reads."""
    original = trie.hexary.HexaryTrie.get_node
    trie.hexary.HexaryTrie.get_node = get_node
    try:
        rng = random.Random(7)
        db: dict[bytes, bytes] = {}
        t = HexaryTrie(db, prune=True)
        keys = [keccak(i.to_bytes(4, "big")) for i in range(300)]
        short = [bytes([i]) for i in range(40)]  # short keys and values: embedded nodes
        roots, reads = [], []
        for step in range(1500):
            key = rng.choice(keys if step % 3 else short)
            if rng.random() < 0.2:
                t.delete(key)
            else:
                t.set(key, rng.randbytes(rng.choice([1, 5, 40])))
            roots.append(t.root_hash)
            reads.append(t.get(rng.choice(keys)))
        return roots, dict(db), reads
    finally:
        trie.hexary.HexaryTrie.get_node = original


def test_nodes_roots_and_reads_as_py_trie_makes_them():
    assert _build(trienodes.get_node) == _build(trienodes.ORIGINAL_GET_NODE)


def test_every_caller_gets_its_own_copy_of_a_node():
    db: dict[bytes, bytes] = {}
    t = HexaryTrie(db)
    for i in range(40):
        t.set(keccak(bytes([i])), b"v" * 40)
    first = trienodes.get_node(t, t.root_hash)
    first[0] = b"changed"
    second = trienodes.get_node(t, t.root_hash)
    assert second == trienodes.ORIGINAL_GET_NODE(t, t.root_hash)
    assert second[0] != b"changed" and second is not first


def test_a_missing_node_still_raises():
    """The database is still read for every node: a node gone from it is missing, cached
    decoding or not."""
    db: dict[bytes, bytes] = {}
    t = HexaryTrie(db)
    t.set(keccak(b"a"), b"x" * 40)
    t.set(keccak(b"b"), b"y" * 40)
    root = t.root_hash
    trienodes.get_node(t, root)  # decoded and kept
    del db[root]
    with pytest.raises(KeyError):
        trienodes.get_node(t, root)
    original = trie.hexary.HexaryTrie.get_node
    trie.hexary.HexaryTrie.get_node = trienodes.get_node
    try:
        with pytest.raises(MissingTrieNode):
            HexaryTrie(db, root_hash=root).get(keccak(b"a"))
    finally:
        trie.hexary.HexaryTrie.get_node = original


def test_install_points_py_trie_at_them():
    trienodes.install()
    assert trie.hexary.HexaryTrie.get_node is trienodes.get_node
    assert trie.hexary.bytes_to_nibbles is trienodes.bytes_to_nibbles
    assert trie.utils.nibbles.bytes_to_nibbles is trienodes.bytes_to_nibbles
    assert trie.hexary.encode_raw is rlp.codec.encode_raw is trienodes.encode_raw


def _random_item(rng: random.Random, depth: int = 0):
    if depth > 3 or rng.random() < 0.6:
        return rng.randbytes(rng.choice([0, 1, 1, 2, 20, 32, 55, 56, 57, 255, 256, 300]))
    items = [_random_item(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 17, 40]))]
    return items if rng.random() < 0.5 else tuple(items)


def test_rlp_as_pyrlp_encodes_it():
    rng = random.Random(3)
    for _ in range(2_000):
        item = _random_item(rng)
        assert trienodes.encode_raw(item) == trienodes._original_encode_raw(item)
    for item in (
        b"x" * 70_000,
        [b"y" * 70_000, b""],
        b"",
        b"\x00",
        b"\x7f",
        b"\x80",
        bytearray(b"\x01\x02"),
        [bytearray(b"ab")],
    ):
        assert trienodes.encode_raw(item) == trienodes._original_encode_raw(item)
    assert trienodes.encode_raw([b"\x05", [b"", b"bc"]]) == bytes.fromhex("c605c480826263")
    with pytest.raises(rlp.EncodingError):
        trienodes.encode_raw("text")
    with pytest.raises(rlp.EncodingError):
        trienodes.encode_raw([1])
