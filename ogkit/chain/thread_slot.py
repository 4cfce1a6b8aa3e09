"""The object this thread's runs report to: a tracer, a pc collector, a deadline.

py-evm builds computations itself, with signatures we do not control, so a tracing computation
cannot be handed its collector; it reads the thread's slot instead, which a `with` block fills
and restores (nested blocks see the innermost)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class ThreadSlot(threading.local, Generic[T]):
    value: T | None = None
    """A class default: reading an empty slot costs no missing-attribute lookup (it is read
    once per call frame)."""

    @contextmanager
    def holding(self, value: T | None) -> Iterator[T | None]:
        previous = self.value
        self.value = value
        try:
            yield value
        finally:
            self.value = previous
