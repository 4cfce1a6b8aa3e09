"""Hand-written ABI encoding: the words and shapes every precompile's return data is made of.

eth-abi's generic encoder spent ~0.8 ms per inference on 0xF4's event alone; these helpers
write the same bytes (codecs are held to eth-abi by property tests) in a fraction of that.
Each function returns the encoding of one value as it appears in a tail: dynamic values are
always referenced by an offset from their parent's head.
"""

from __future__ import annotations

from collections.abc import Sequence

WORD = 32
"""Bytes in one ABI word."""


def encode_uint(n: int) -> bytes:
    """One word holding the unsigned integer `n`."""
    return n.to_bytes(WORD, "big")


def encode_int(n: int) -> bytes:
    """One word holding the signed integer `n` (two's complement)."""
    return n.to_bytes(WORD, "big", signed=True)


def encode_string(s: str) -> bytes:
    """A `string`: its byte length, then its UTF-8 bytes padded to a word."""
    raw = s.encode("utf-8")
    return encode_uint(len(raw)) + raw + b"\0" * (-len(raw) % WORD)


def encode_tuple(head: Sequence[bytes | None], tails: Sequence[bytes]) -> bytes:
    """A tuple whose fields are static words (bytes) or dynamic (None, taken from `tails`)."""
    offset = WORD * len(head)
    out, rest = [], []
    tail_iter = iter(tails)
    for field in head:
        if field is None:
            tail = next(tail_iter)
            out.append(encode_uint(offset))
            rest.append(tail)
            offset += len(tail)
        else:
            out.append(field)
    return b"".join(out) + b"".join(rest)


def encode_dynamic_array(items: Sequence[bytes]) -> bytes:
    """`T[]` of dynamic elements, each already encoded."""
    return encode_uint(len(items)) + encode_tuple([None] * len(items), items)


def encode_string_array(values: Sequence[str]) -> bytes:
    """A `string[]`."""
    return encode_dynamic_array([encode_string(s) for s in values])


def encode_single(body: bytes) -> bytes:
    """`abi.encode(x)` of one dynamic value: its offset, then its body."""
    return encode_uint(WORD) + body
