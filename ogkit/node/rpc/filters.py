"""Polling filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_getFilterChanges` …).

Filters are pull-based: each remembers the last block it reported and, when polled, reads
the canonical blocks after it. After a revert the mark falls back to the new head, so a
poll never reports blocks that are gone. Filters idle for 5 minutes expire, as in geth.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.params import LogFilter

FILTER_TIMEOUT = 300.0
MAX_FILTERS = 10_000


@dataclass
class Filter:
    kind: str  # "log" | "block" | "pendingTransaction"
    last_block: int
    query: LogFilter | None = None
    touched: float = field(default_factory=time.monotonic)
    done: bool = False
    """A blockHash filter has reported its one block."""


class Filters:
    def __init__(self) -> None:
        self._filters: dict[int, Filter] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _expire(self) -> None:
        now = time.monotonic()
        for filter_id in [i for i, f in self._filters.items() if now - f.touched > FILTER_TIMEOUT]:
            del self._filters[filter_id]

    def add(self, kind: str, head: int, query: LogFilter | None = None) -> int:
        with self._lock:
            self._expire()
            if len(self._filters) >= MAX_FILTERS:
                raise ServerError(f"too many filters (limit {MAX_FILTERS}); uninstall some")
            filter_id = next(self._ids)
            self._filters[filter_id] = Filter(kind, head, query)
            return filter_id

    def get(self, filter_id: int) -> Filter:
        with self._lock:
            self._expire()
            found = self._filters.get(filter_id)
            if found is None:
                raise ServerError("filter not found")
            found.touched = time.monotonic()
            return found

    def remove(self, filter_id: int) -> bool:
        with self._lock:
            return self._filters.pop(filter_id, None) is not None
