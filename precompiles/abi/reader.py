"""Bounded ABI decoding of untrusted calldata, word by word.

Hand-written rather than left to eth-abi's generic decoder because calldata is hostile: ABI
offsets can alias, so a small payload may describe billions of elements. `AbiReader` walks a
layout with an element budget, checks every word the way Solidity's own decoder does, and
fails with a readable `AbiDecodeError`. Codecs describe their structs with its methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

WORD = 32
"""Bytes in one ABI word."""
INT128_MIN = -(1 << 127)
INT128_MAX = (1 << 127) - 1
_T = TypeVar("_T")


class AbiDecodeError(ValueError):
    """Calldata that Solidity's decoder would also reject."""


class AbiReader:
    """Reads ABI words from one buffer, spending a shared element budget."""

    __slots__ = ("data", "budget", "string_budget")

    def __init__(self, data: bytes, budget: int) -> None:
        self.data = data
        self.budget = budget
        # Without aliased offsets an encoding never holds more string bytes than its length,
        # so this never rejects honest calldata but stops one big string decoded many times.
        self.string_budget = len(data)

    def word(self, at: int) -> bytes:
        """The 32 bytes at `at`."""
        if at < 0 or at + WORD > len(self.data):
            raise AbiDecodeError(f"calldata too short: need 32 bytes at offset {at}")
        return self.data[at : at + WORD]

    def uint(self, at: int, bits: int = 256) -> int:
        """A `uint<bits>` at `at`; higher bits set is an error, as in Solidity."""
        value = int.from_bytes(self.word(at), "big")
        if value >> bits:
            raise AbiDecodeError(f"uint{bits} out of range at offset {at}")
        return value

    def int128(self, at: int) -> int:
        """An `int128` at `at`, sign-extended to the full word."""
        value = int.from_bytes(self.word(at), "big", signed=True)
        if not INT128_MIN <= value <= INT128_MAX:
            raise AbiDecodeError(f"int128 out of range at offset {at}")
        return value

    def offset(self, base: int, at: int) -> int:
        """Follow the offset word at `at`, relative to `base`; return the target position."""
        pointer = self.uint(at, 64)
        target = base + pointer
        if target >= len(self.data):
            raise AbiDecodeError(f"offset {pointer} at {at} points past the end of calldata")
        return target

    def length(self, at: int) -> int:
        """An array length at `at`, spent from the element budget."""
        n = self.uint(at, 64)
        if n > self.budget:
            raise AbiDecodeError(f"array of {n} elements exceeds the decoding cap")
        self.budget -= n
        return n

    def string(self, at: int) -> str:
        """A `string` whose length word is at `at`; it must be valid UTF-8."""
        n = self.uint(at, 64)
        if at + WORD + n > len(self.data):
            raise AbiDecodeError(f"string of {n} bytes at offset {at} runs past calldata")
        if n > self.string_budget:
            raise AbiDecodeError(f"string of {n} bytes at offset {at} exceeds the decoding cap")
        self.string_budget -= n
        raw = self.data[at + WORD : at + WORD + n]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AbiDecodeError(f"string at offset {at} is not valid UTF-8") from exc

    def array(self, at: int, item: Callable[[int, int], _T], dynamic: bool) -> tuple[_T, ...]:
        """Decode `T[]` at `at`; `item(base, head)` decodes one element.

        `dynamic` elements are reached through an offset in the head, static ones sit in it.
        """
        n = self.length(at)
        base = at + WORD
        if dynamic:
            return tuple(item(base, self.offset(base, base + i * WORD)) for i in range(n))
        return tuple(item(base, base + i * WORD) for i in range(n))

    def string_array(self, at: int) -> tuple[str, ...]:
        """A `string[]` at `at`."""
        return self.array(at, lambda _b, h: self.string(h), dynamic=True)
