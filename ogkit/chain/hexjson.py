"""JSON-RPC's hex encodings: quantities, byte strings, 32-byte words, addresses."""

from __future__ import annotations


def q(value: int) -> str:
    return hex(value)


def b(value: bytes) -> str:
    return "0x" + value.hex()


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def addr(value: bytes | None) -> str | None:
    if not value:
        return None
    return "0x" + value.hex()
