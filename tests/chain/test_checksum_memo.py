"""The remembered address checks of the direct path (direct_call.py `is_checksum`,
direct_receipt.py `_checksum`) answer as eth-utils does, for every kind of input, the first
time and again."""

from __future__ import annotations

import pytest
from eth_utils import is_checksum_address, to_checksum_address

from ape_opengradient.direct_call import is_checksum
from ape_opengradient.direct_receipt import _checksum

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


class Text(str):
    """A str subclass (not remembered: checked as eth-utils checks it)."""


@pytest.mark.parametrize(
    "value",
    [
        ADDRESS,
        ADDRESS.lower(),
        ADDRESS.upper().replace("0X", "0x"),
        ADDRESS[2:],
        "",
        "vitalik.eth",
        Text(ADDRESS),
        bytes.fromhex(ADDRESS[2:]),
        None,
        7,
    ],
)
def test_is_checksum_is_eth_utils(value):
    for _ in range(2):
        assert is_checksum(value) is is_checksum_address(value)


def test_is_checksum_answers():
    assert is_checksum(ADDRESS) is True
    assert is_checksum(ADDRESS.lower()) is False


def test_checksum_is_eth_utils():
    raw = bytes.fromhex(ADDRESS[2:])
    for _ in range(2):
        assert _checksum(raw) == to_checksum_address(raw) == ADDRESS
    other = bytes(range(20))
    assert _checksum(other) == to_checksum_address(other)
