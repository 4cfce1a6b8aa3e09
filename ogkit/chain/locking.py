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
from collections.abc import Callable
from time import monotonic as _monotonic
from typing import Any, TypeVar

from eth_tester import EthereumTester

T = TypeVar("T", bound=type)


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Runs `fn` under `self._chain_lock` and notes the time in `self._usage` (a one-item list
    the backend and its tester share). Kept to attribute reads: it wraps every call Ape and
    eth-tester make into the chain."""

    @functools.wraps(fn)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._chain_lock:
            result = fn(self, *args, **kwargs)
        self._usage[0] = _monotonic()
        return result

    return locked


def lock_public_methods(cls: T) -> T:
    """Wrap every public plain method `cls` has (inherited ones too) in the chain lock."""
    for name in dir(cls):
        member = inspect.getattr_static(cls, name)
        skip = name.startswith("_") or name in ("chain_lock", "idle_seconds")
        if not skip and inspect.isfunction(member):  # not static/class methods
            setattr(cls, name, _locked(member))
    return cls


class ChainLock:
    """Mixin for an eth-tester backend: owns the lock, made with the object because the
    backend's own `__init__` already calls locked methods.

    It also notes when the chain was last used, so background work (settlement) can wait
    for a quiet moment instead of making a user's next request queue behind it."""

    def __new__(cls, *args: Any, **kwargs: Any) -> ChainLock:
        self = super().__new__(cls)
        self._chain_lock = threading.RLock()
        self._usage = [0.0]
        return self

    @property
    def chain_lock(self) -> threading.RLock:
        return self._chain_lock

    def idle_seconds(self) -> float:
        return _monotonic() - self._usage[0]


@lock_public_methods
class LockedEthereumTester(EthereumTester):
    """`EthereumTester` whose operations hold its backend's chain lock."""

    def __init__(self, backend: ChainLock, *args: Any, **kwargs: Any) -> None:
        self._chain_lock = backend._chain_lock
        self._usage = backend._usage
        super().__init__(backend, *args, **kwargs)
