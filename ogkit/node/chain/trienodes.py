"""Two of py-trie's hot spots, made cheaper for the node's process; same answers.

An automined contract call reads ~27 trie nodes (state and storage tries: walking to the
accounts it touches, then again to write them and compute the state root) and turns ~44
32-byte keys into nibbles (bench/RESULTS-node.md, hottest functions). py-trie RLP-decodes
every node it reads (~9 us for a branch node) though the same few nodes near the root are
read again and again, and makes nibbles with a generator, one byte at a time (~10 us a key).

* `HexaryTrie.get_node` still reads the node from the database (a missing node still
  raises as before) but decodes a given encoding once: the decoded node is kept, keyed by
  its bytes, and each caller gets its own copy (py-trie changes nodes in place).
* `bytes_to_nibbles` through `bytes.hex` and a translation table, in C.

`install()` is called once by the node (NodeChain); tests/unit/test_trienodes.py holds both
to py-trie's own functions.
"""

from __future__ import annotations

from typing import Any

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
    for module in (trie.hexary, trie.iter, trie.utils.nibbles):
        module.bytes_to_nibbles = bytes_to_nibbles
