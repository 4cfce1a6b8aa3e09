"""Log queries (`eth_getLogs`, log filters) and what block and pending-transaction filters
report: blocks and transaction hashes after a block number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_bloom import BloomFilter

from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.params import BlockRef, LogFilter

if TYPE_CHECKING:
    from ogkit.blocks.chain.blocks import Blocks

MAX_LOG_RESULTS = 10_000


def logs(blocks: Blocks, query: LogFilter, from_number: int | None = None) -> list[tuple]:
    """Matching (log, block, tx, tx_index, log_index) tuples, oldest first."""
    with blocks.lock:
        head = blocks.head.block_number
        if query.block_hash is not None:
            header = blocks.header_for(BlockRef(hash=query.block_hash))
            if header is None:
                raise ServerError("unknown block")
            start = end = header.block_number
        else:
            start = filter_bound(query.from_block, head)
            end = filter_bound(query.to_block, head)
            if from_number is not None:
                start = max(start, from_number)
            end = min(end, head)
        out: list[tuple] = []
        for number in range(start, end + 1):
            header = blocks.chain.get_canonical_block_header_by_number(number)
            if not bloom_may_match(header.bloom, query):
                continue
            block = blocks.block_by_header(header)
            receipts = blocks.receipts(block)
            log_index = 0
            for tx_index, (tx, receipt) in enumerate(
                zip(block.transactions, receipts, strict=False)
            ):
                for log in receipt.logs:
                    if log_matches(log, query):
                        out.append((log, block, tx, tx_index, log_index))
                        if len(out) > MAX_LOG_RESULTS:
                            raise ServerError(
                                f"query returned more than {MAX_LOG_RESULTS} results; "
                                "narrow the block range"
                            )
                    log_index += 1
        return out


def filter_bound(ref: BlockRef | None, head: int) -> int:
    if ref is None or ref.tag in ("latest", "safe", "finalized", "pending"):
        return head
    if ref.tag == "earliest":
        return 0
    return ref.number if ref.number is not None else head


def block_hashes_after(blocks: Blocks, number: int) -> list[bytes]:
    with blocks.lock:
        head = blocks.head.block_number
        return [blocks.chain.get_canonical_block_hash(n) for n in range(number + 1, head + 1)]


def tx_hashes_after(blocks: Blocks, number: int) -> list[bytes]:
    with blocks.lock:
        out = []
        for n in range(number + 1, blocks.head.block_number + 1):
            header = blocks.chain.get_canonical_block_header_by_number(n)
            out.extend(blocks.chain.chaindb.get_block_transaction_hashes(header))
        return out


def bloom_may_match(bloom: int, query: LogFilter) -> bool:
    if not query.addresses and not any(query.topics):
        return True
    filt = BloomFilter(bloom)
    if query.addresses and not any(a in filt for a in query.addresses):
        return False
    for alternatives in query.topics:
        if alternatives and not any(t in filt for t in alternatives):
            return False
    return True


def log_matches(log: Any, query: LogFilter) -> bool:
    if query.addresses and log.address not in query.addresses:
        return False
    for position, alternatives in enumerate(query.topics):
        if alternatives is None:
            continue
        if position >= len(log.topics):
            return False
        if log.topics[position].to_bytes(32, "big") not in alternatives:
            return False
    return True
