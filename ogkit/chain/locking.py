"""One lock around an in-process chain, so the settlement service can use it from a thread.

eth-tester and py-evm are not thread-safe, and Ape's provider calls the eth-tester backend
directly as well as through `EthereumTester`. Every public method of both takes the same
re-entrant lock, so each operation (a send plus its auto-mine, a snapshot, a revert) is atomic
with respect to the service thread.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eth_tester import EthereumTester

T = TypeVar("T", bound=type)


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.chain_lock:
            try:
                return fn(self, *args, **kwargs)
            finally:
                self.chain_used()

    return locked


def lock_public_methods(cls: T) -> T:
    """Wrap every public plain method `cls` has (inherited ones too) in `self.chain_lock`."""
    for name in dir(cls):
        member = inspect.getattr_static(cls, name)
        skip = name.startswith("_") or name in ("chain_used", "idle_seconds")
        if not skip and inspect.isfunction(member):  # not static/class methods
            setattr(cls, name, _locked(member))
    return cls


class ChainLock:
    """Mixin for an eth-tester backend: owns the lock; set before the backend builds its chain.

    It also notes when the chain was last used, so background work (settlement) can wait
    for a quiet moment instead of making a user's next request queue behind it."""

    _last_used: float = 0.0

    @property
    def chain_lock(self) -> threading.RLock:
        lock = self.__dict__.get("_chain_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_chain_lock", threading.RLock())
        return lock

    def chain_used(self) -> None:
        self._last_used = time.monotonic()

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last_used


@lock_public_methods
class LockedEthereumTester(EthereumTester):
    """`EthereumTester` whose operations hold its backend's chain lock."""

    @property
    def chain_lock(self) -> threading.RLock:
        return self.backend.chain_lock

    def chain_used(self) -> None:
        self.backend.chain_used()
