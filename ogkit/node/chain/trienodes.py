"""Three of py-trie's and pyrlp's hot spots, made cheaper for the node's process; same answers.

An automined contract call reads ~27 trie nodes (state and storage tries: walking to the
accounts it touches, then again to write them and compute the state root), RLP-encodes ~38
nodes to hash them and turns ~44 32-byte keys into nibbles (bench/RESULTS-node.md, hottest
functions). py-trie RLP-decodes every node it reads (~9 us for a branch node) though the
same few nodes near the root are read again and again; pyrlp's `encode_raw` asks an
abstract base class about every item of every node; nibbles come from a generator, one byte
at a time (~10 us a key).

* `HexaryTrie.get_node` still reads the node from the database (a missing node still
  raises as before) but decodes a given encoding once: the decoded node is kept, keyed by
  its bytes, and each caller gets its own copy (py-trie changes nodes in place).
* `encode_raw` with a fast path for what trie nodes and py-evm's objects are made of
  (bytes, lists and tuples of them); anything else goes to pyrlp's own.
* `bytes_to_nibbles` through `bytes.hex` and a translation table, in C.

`install()` is called once by the node (NodeChain); tests/unit/test_trienodes.py holds both
to py-trie's own functions.
"""

from __future__ import annotations

from typing import Any

import rlp.codec
import trie.hexary
import trie.iter
import trie.utils.nibbles
from trie.constants import BLANK_NODE, BLANK_NODE_HASH
from trie.utils.nodes import decode_node

MAX_CACHED = 4096
"""Decoded nodes kept (~2 kB each: under 10 MB); when full the cache starts over."""

_decoded: dict[bytes, Any] = {}
_HEX_TO_NIBBLE = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))
_original_bytes_to_nibbles = trie.utils.nibbles.bytes_to_nibbles
ORIGINAL_GET_NODE = trie.hexary.HexaryTrie.get_node
"""py-trie's own (the tests compare with it)."""


def bytes_to_nibbles(value: Any) -> tuple[int, ...]:
    """py-trie's `bytes_to_nibbles`: each byte as its high and low nibble, in order."""
    if type(value) is not bytes:
        return _original_bytes_to_nibbles(value)
    return tuple(value.hex().encode().translate(_HEX_TO_NIBBLE))


_original_encode_raw = rlp.codec.encode_raw
_SHORT_PREFIX = [bytes((n,)) for n in range(256)]


def _prefix(length: int, offset: int) -> bytes:
    """pyrlp's `length_prefix` (a length past 256**8 goes to pyrlp's encoder, which raises)."""
    if length < 56:
        return _SHORT_PREFIX[offset + length]
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return _SHORT_PREFIX[offset + 55 + len(size)] + size


def encode_raw(item: Any) -> bytes:
    """pyrlp's `encode_raw`: the same bytes, for bytes, lists and tuples without the ABC
    checks."""
    kind = type(item)
    if kind is bytes:
        length = len(item)
        if length == 1 and item[0] < 128:
            return item
        if length >= 1 << 64:
            return _original_encode_raw(item)
        return _prefix(length, 128) + item
    if kind is list or kind is tuple:
        payload = b"".join([encode_raw(x) for x in item])
        if len(payload) >= 1 << 64:
            return _original_encode_raw(item)
        return _prefix(len(payload), 192) + payload
    return _original_encode_raw(item)


def _copy(node: Any) -> Any:
    """A fresh copy of a decoded node: lists copied all the way down, bytes shared."""
    return [item if type(item) is bytes else _copy(item) for item in node]


def get_node(self: trie.hexary.HexaryTrie, node_hash: Any) -> Any:
    """`HexaryTrie.get_node`, decoding each encoding once (see the module docstring)."""
    if node_hash == BLANK_NODE or node_hash == BLANK_NODE_HASH:
        return BLANK_NODE
    encoded = node_hash if len(node_hash) < 32 else self.db[node_hash]
    if type(encoded) is not bytes:
        return decode_node(encoded)
    node = _decoded.get(encoded)
    if node is None:
        node = decode_node(encoded)
        if type(node) is not list:
            return node
        if len(_decoded) >= MAX_CACHED:
            _decoded.clear()
        _decoded[encoded] = node
    return _copy(node)


def install() -> None:
    """Point py-trie at the functions above (idempotent)."""
    trie.hexary.HexaryTrie.get_node = get_node
    trie.hexary.encode_raw = rlp.codec.encode_raw = encode_raw
    for module in (trie.hexary, trie.iter, trie.utils.nibbles):
        module.bytes_to_nibbles = bytes_to_nibbles
