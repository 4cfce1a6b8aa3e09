"""Block time: the dev clock (`evm_increaseTime`, `evm_setNextBlockTimestamp`) and the
timestamp of the pending block.

An empty pending block takes the time it is first used at, not the time it was made, so a
transaction sent a minute after the last block runs (and is sealed) at the current time.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ogkit.node.rpc.errors import ServerError

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks


class Clock:
    def __init__(self, blocks: Blocks) -> None:
        self.blocks = blocks
        self.offset = 0
        """Seconds added to the wall clock (`evm_increaseTime`)."""
        self.next_timestamp: int | None = None
        """The next block's timestamp, if one was set (`evm_setNextBlockTimestamp`)."""

    def timestamp_for_next_block(self) -> int:
        if self.next_timestamp is not None:
            return self.next_timestamp
        return max(int(time.time()) + self.offset, self.blocks.head.timestamp + 1)

    def freshen_pending(self) -> None:
        chain = self.blocks.chain
        if not self.blocks.pending_has_txs():
            timestamp = self.timestamp_for_next_block()
            if timestamp != chain.header.timestamp:
                chain.header = chain.header.copy(timestamp=timestamp)

    def increase(self, seconds: int) -> int:
        self.offset += seconds
        self.freshen_pending()
        return self.offset

    def set_next(self, timestamp: int) -> None:
        """Without touching the pending block (callers freshen it, or mine it)."""
        head = self.blocks.head
        if timestamp <= head.timestamp:
            raise ServerError(
                f"timestamp {timestamp} must be greater than the latest block's ({head.timestamp})"
            )
        self.next_timestamp = timestamp
        self.offset = timestamp - int(time.time())

    def reset(self) -> None:
        """The pending block was replaced (head moved): no timestamp set, the time is now's."""
        self.next_timestamp = None
        self.freshen_pending()
