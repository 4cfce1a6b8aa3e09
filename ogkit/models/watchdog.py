"""One thread that stops model runs at their deadline (onnxruntime's `RunOptions.terminate`),
so no run outlives the time budget, without a timer thread per call."""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing the module loads no onnxruntime
    import onnxruntime as ort


class Watchdog:
    def __init__(self) -> None:
        self._due: list[tuple[float, int, ort.RunOptions]] = []
        self._live: set[int] = set()
        self._fired: set[int] = set()
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0
        """The process the thread runs in: a forked child starts its own."""

    def arm(self, options: ort.RunOptions, seconds: float) -> int:
        """Set `options.terminate` in `seconds` unless `disarm` comes first; returns a ticket."""
        ticket = next(self._ids)
        with self._wake:
            heapq.heappush(self._due, (time.monotonic() + seconds, ticket, options))
            self._live.add(ticket)
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._watch, name="ogkit-watchdog")
                self._thread.daemon = True
                self._thread.start()
            if self._due[0][1] == ticket:  # the thread sleeps until a later deadline: wake it
                self._wake.notify()
        return ticket

    def disarm(self, ticket: int) -> bool:
        """Stop watching; True if the deadline had already passed and the run was stopped."""
        with self._wake:
            self._live.discard(ticket)
            fired = ticket in self._fired
            self._fired.discard(ticket)
            return fired

    def _watch(self) -> None:
        with self._wake:
            while True:
                while self._due and self._due[0][1] not in self._live:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                deadline, ticket, options = self._due[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._due)
                self._live.discard(ticket)
                self._fired.add(ticket)
                options.terminate = True


WATCHDOG = Watchdog()
"""The process's one watchdog: every model session arms it."""
