"""The node's lock: re-entrant, and whoever takes it first finishes owed work.

Over HTTP an automined block is sealed right after the `eth_sendRawTransaction` response is
written (its state root, storage and the next pending block: most of the node's work per
transaction), while the client reads the response and sends its next request. Nothing can
see the chain in between: every read takes this lock, and taking it seals the owed block
first. So to any later request the node behaves as if it had sealed before answering.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class SettlingLock:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.on_acquire: Callable[[], None] | None = None
        """Called with the lock held, on every acquisition (it must be cheap when idle)."""

    def __enter__(self) -> SettlingLock:
        self._lock.acquire()
        if self.on_acquire is not None:
            try:
                self.on_acquire()
            except BaseException:
                self._lock.release()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
