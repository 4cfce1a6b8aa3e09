"""Fees: the next block's base fee, a suggested gas price and `eth_feeHistory`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth.abc import BlockHeaderAPI

from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.formatting import effective_gas_price
from ogkit.node.rpc.params import BlockRef

if TYPE_CHECKING:
    from eth.chains.base import MiningChain

    from ogkit.node.chain.blocks import Blocks

DEFAULT_PRIORITY_FEE = 10**9


def next_base_fee(chain: MiningChain) -> int:
    """The pending block's base fee (the caller holds the lock)."""
    return getattr(chain.header, "base_fee_per_gas", 0) or 0


def gas_price(chain: MiningChain) -> int:
    return next_base_fee(chain) + DEFAULT_PRIORITY_FEE


def fee_history(
    blocks: Blocks, count: int, newest: BlockRef, percentiles: list[float]
) -> dict[str, Any]:
    with blocks.lock:
        chain = blocks.chain
        head = blocks.head
        if newest.tag == "pending":
            newest_number = head.block_number
        else:
            header = blocks.header_for(newest)
            if header is None:
                raise ServerError("header not found")
            newest_number = header.block_number
        count = max(0, min(count, 1024, newest_number + 1))
        oldest = newest_number - count + 1
        base_fees, ratios, rewards = [], [], []
        for number in range(oldest, newest_number + 1):
            header = chain.get_canonical_block_header_by_number(number)
            base_fees.append(getattr(header, "base_fee_per_gas", 0) or 0)
            ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
            if percentiles:
                rewards.append(block_rewards(blocks, header, percentiles))
        if newest_number == head.block_number:
            base_fees.append(next_base_fee(chain))
        else:
            following = chain.get_canonical_block_header_by_number(newest_number + 1)
            base_fees.append(getattr(following, "base_fee_per_gas", 0) or 0)
        result: dict[str, Any] = {
            "oldestBlock": oldest if count else newest_number,
            "baseFeePerGas": base_fees if count else [],
            "gasUsedRatio": ratios,
            "baseFeePerBlobGas": [0] * (count + 1) if count else [],
            "blobGasUsedRatio": [0.0] * count,
        }
        if percentiles:
            result["reward"] = rewards
        return result


def block_rewards(blocks: Blocks, header: BlockHeaderAPI, percentiles: list[float]) -> list[int]:
    """The priority fee at each gas-weighted percentile of a block's transactions."""
    block = blocks.block_by_header(header)
    if not block.transactions:
        return [0] * len(percentiles)
    receipts = blocks.receipts(block)
    base_fee = getattr(header, "base_fee_per_gas", 0) or 0
    items = []
    previous = 0
    for tx, receipt in zip(block.transactions, receipts, strict=False):
        used = receipt.gas_used - previous
        previous = receipt.gas_used
        items.append((effective_gas_price(tx, base_fee) - base_fee, used))
    items.sort()
    total = sum(used for _, used in items) or 1
    out = []
    for p in percentiles:
        threshold = total * p / 100
        cumulative = 0
        reward = items[-1][0]
        for tip, used in items:
            cumulative += used
            if cumulative >= threshold:
                reward = tip
                break
        out.append(reward)
    return out
