"""Many blocks at once (`evm_mine`, `anvil_mine` with a count) without holding up the node.

Sealing an empty block takes about 1.5 ms, so `anvil_mine 10000` took 15.8 s with the chain
lock held and every other request waiting. The blocks are sealed in slices instead: the lock
is held for `MINE_SLICE_SECONDS` at most, then let go until the requests blocked on it are
through (`ChainLock.waiting`; Python's locks are not fair, so without the pause the miner
would take the lock straight back). A transaction sent meanwhile is sealed between two of
the blocks, as if sent just before the next slice.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ogkit.node.chain.mining import Miner

MINE_SLICE_SECONDS = 0.1
"""The longest the lock is held at a time."""
YIELD_SECONDS = 0.05
"""The longest to wait between slices for the requests blocked on the lock."""


def mine_in_slices(miner: Miner, blocks: int, timestamp: int | None, interval: int) -> list[bytes]:
    """Seal `blocks` blocks, at `timestamp` + i * `interval` if given, else `interval`
    seconds apart when over 1 (the clock's time otherwise); their hashes."""
    hashes: list[bytes] = []
    while len(hashes) < blocks:
        if hashes:
            let_waiting_requests_in(miner)
        with miner.blocks.lock:
            stop = time.monotonic() + MINE_SLICE_SECONDS
            while len(hashes) < blocks:
                i = len(hashes)
                stamp = None
                if timestamp is not None:
                    stamp = timestamp + i * interval
                elif i and interval > 1:
                    stamp = miner.blocks.head.timestamp + interval
                hashes.append(miner.mine_one(stamp).hash)
                miner._promote()  # what waited for this block (admission.py)
                if time.monotonic() >= stop:
                    break
    return hashes


def let_waiting_requests_in(miner: Miner) -> None:
    lock = miner.blocks.lock
    until = time.monotonic() + YIELD_SECONDS
    time.sleep(0.001)
    while lock.waiting and time.monotonic() < until:
        time.sleep(0.001)
