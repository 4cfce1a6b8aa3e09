"""EIP-7623's calldata floor as a validity rule on the in-process chain (issue 12, item 2).

py-evm 0.12 topped gas used up to the floor without requiring gas limit >= floor, so a
100,000-byte transfer with a 3,000,000 gas limit was mined with gasUsed 4,021,000. The
expected figures are computed here from the EIP's formula, not taken from the chain.
"""

from __future__ import annotations

import pytest
from eth_utils import ValidationError

from ogkit.chain import new_tester

BIG = b"\x01" * 100_000  # every byte non-zero: 4 tokens each
SINK = "0x000000000000000000000000000000000000dEaD"
# CALLDATASIZE PUSH1 0 SSTORE STOP: a contract call whose execution is cheap beside its data
SIZE_KEEPER = bytes([0x36, 0x60, 0x00, 0x55, 0x00])


def eip7623_floor(data: bytes) -> int:
    """21000 + 10 * tokens, a token per zero byte and four per non-zero byte (the EIP)."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def intrinsic(data: bytes) -> int:
    zeros = data.count(0)
    return 21_000 + 4 * zeros + 16 * (len(data) - zeros)


@pytest.fixture(scope="module")
def tester():
    return new_tester()


def transfer(tester, data: bytes, gas: int, to: str | None = SINK) -> str:
    tx = {"from": tester.get_accounts()[0], "gas": gas, "data": "0x" + data.hex()}
    if to is not None:
        tx["to"] = to
    return tester.send_transaction(tx)


def test_the_figures() -> None:
    assert eip7623_floor(BIG) == 4_021_000 > intrinsic(BIG) == 1_621_000


def test_a_gas_limit_below_the_floor_is_refused(tester) -> None:
    head = tester.get_block_by_number("latest")["number"]
    with pytest.raises(ValidationError) as refused:
        transfer(tester, BIG, 3_000_000)
    floor = eip7623_floor(BIG)
    assert str(refused.value) == (
        f"insufficient gas for floor data gas cost: gas 3000000, minimum needed {floor}"
    )
    assert tester.get_block_by_number("latest")["number"] == head  # never mined
    with pytest.raises(ValidationError, match="minimum needed"):
        transfer(tester, BIG, floor - 1)


def test_a_gas_limit_at_the_floor_is_mined_using_exactly_the_floor(tester) -> None:
    receipt = tester.get_transaction_receipt(transfer(tester, BIG, eip7623_floor(BIG)))
    assert receipt["status"] == 1
    assert receipt["gas_used"] == eip7623_floor(BIG) == 4_021_000


def test_the_estimate_of_a_large_calldata_transfer_is_the_floor(tester) -> None:
    account = tester.get_accounts()[0]
    estimate = tester.estimate_gas({"from": account, "to": SINK, "data": "0x" + BIG.hex()})
    assert estimate == eip7623_floor(BIG)
    assert tester.get_transaction_receipt(transfer(tester, BIG, estimate))["status"] == 1


def test_a_contract_call_with_large_calldata_estimated_then_sent(tester) -> None:
    init = bytes([0x60, len(SIZE_KEEPER), 0x80, 0x60, 11, 0x60, 0, 0x39, 0x60, 0, 0xF3])
    receipt = tester.get_transaction_receipt(transfer(tester, init + SIZE_KEEPER, 300_000, None))
    keeper = receipt["contract_address"]
    data = bytes(range(1, 256)) * 40  # 10,200 non-zero bytes
    account = tester.get_accounts()[0]
    estimate = tester.estimate_gas({"from": account, "to": keeper, "data": "0x" + data.hex()})
    assert estimate >= eip7623_floor(data) > intrinsic(data) + 22_100
    receipt = tester.get_transaction_receipt(transfer(tester, data, estimate, keeper))
    assert receipt["status"] == 1
    assert receipt["gas_used"] == eip7623_floor(data)
    assert tester.get_storage_at(keeper, "0x0") == "0x" + len(data).to_bytes(32, "big").hex()


def test_eth_call_is_unaffected(tester) -> None:
    """A call does not pay: its gas limit may be below the floor, as before."""
    account = tester.get_accounts()[0]
    tx = {"from": account, "to": SINK, "gas": 3_000_000, "data": "0x" + BIG.hex()}
    assert tester.call(tx) == "0x"


def signed_transfer(tester, nonce: int, data: bytes, gas: int):
    """A transfer signed by the first dev account, as the chain receives a raw one."""
    chain = tester.backend.chain
    vm = chain.get_vm()
    unsigned = vm.create_unsigned_transaction(
        nonce=nonce,
        gas_price=2 * chain.header.base_fee_per_gas,
        gas=gas,
        to=bytes.fromhex(SINK[2:]),
        value=0,
        data=data,
    )
    signed = unsigned.as_signed_transaction(tester.backend.account_keys[0], chain_id=chain.chain_id)
    return vm.get_transaction_builder().decode(signed.encode())


def test_a_block_never_exceeds_its_gas_limit() -> None:
    """1 MB of calldata has a floor above the block gas limit: refused at any gas limit. In
    one block, floor-priced transactions fit while their limits do; the next is refused."""
    tester = new_tester()
    limit = tester.get_block_by_number("pending")["gas_limit"]
    huge = b"\x01" * 1_000_000
    assert eip7623_floor(huge) > limit
    with pytest.raises(ValidationError, match="floor data gas"):
        transfer(tester, huge, limit)
    with pytest.raises(ValidationError, match="exceeds gas limit"):
        transfer(tester, huge, eip7623_floor(huge))
    floor = eip7623_floor(BIG)
    fits = limit // floor
    nonce = tester.get_nonce(tester.get_accounts()[0])
    for n in range(fits):
        tester.backend.include_transaction(signed_transfer(tester, nonce + n, BIG, floor))
    with pytest.raises(ValidationError, match="exceeds gas limit"):
        tester.backend.include_transaction(signed_transfer(tester, nonce + fits, BIG, floor))
    (block_hash,) = tester.mine_blocks()
    block = tester.get_block_by_hash(block_hash)
    assert len(block["transactions"]) == fits == 7
    assert block["gas_used"] == fits * floor <= block["gas_limit"] == limit
