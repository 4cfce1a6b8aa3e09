"""EIP-7623's calldata floor through Ape's in-process provider (issue 12, item 2): a
transaction below its floor is a clear error in Ape, never mined; Ape's own estimate is the
floor and succeeds."""

from __future__ import annotations

import pytest
from ape.exceptions import VirtualMachineError

BIG = b"\x01" * 100_000  # every byte non-zero: 4 tokens each
SINK = "0x000000000000000000000000000000000000dEaD"


def eip7623_floor(data: bytes) -> int:
    """21000 + 10 * tokens, a token per zero byte and four per non-zero byte (the EIP)."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def test_below_the_floor_is_a_clear_error_and_never_mined(accounts, chain) -> None:
    head = chain.blocks.height
    with pytest.raises(VirtualMachineError) as refused:
        accounts[0].transfer(SINK, 0, data=BIG, gas=3_000_000)
    floor = eip7623_floor(BIG)
    assert str(refused.value) == (
        f"insufficient gas for floor data gas cost: gas 3000000, minimum needed {floor}"
    )
    assert chain.blocks.height == head


def test_at_the_floor_and_by_ape_s_estimate(accounts, chain) -> None:
    receipt = accounts[0].transfer(SINK, 0, data=BIG, gas=eip7623_floor(BIG))
    assert not receipt.failed and receipt.gas_used == eip7623_floor(BIG) == 4_021_000
    estimated = accounts[0].transfer(SINK, 0, data=BIG, gas="auto")
    assert not estimated.failed and estimated.gas_limit >= eip7623_floor(BIG)
    assert estimated.gas_used == eip7623_floor(BIG)
