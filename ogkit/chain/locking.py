"""The chain lock: one re-entrant lock per chain, whatever hosts it.

py-evm and eth-tester are not thread-safe, and every host has a second thread: the node
serves HTTP requests and mines on a block timer; the in-process chains share theirs with the
settlement service. So every operation (a send plus its auto-mine, a snapshot, a revert, a
read) holds the chain's `ChainLock`.

Two jobs ride on it. `on_acquire` runs on each acquisition with the lock held. The node
seals there the automined block it still owes: over HTTP an automined block is sealed right
after the `eth_sendRawTransaction` response is written (its state root, storage and the
next pending block: most of the node's work per transaction), while the client reads the
response and sends its next request. Nothing can see the chain in between: every read takes
this lock, and taking it seals the owed block first (ogkit/node/mining.py `Miner.settle`).
So to any later request the node behaves as if it had sealed before answering. (The one
read that may skip the lock, the node's `eth_blockNumber` while another thread holds it,
`try_enter`, reads the head that thread sealed when it took the lock, unless it is sealing.)
How long one holder keeps the lock is bounded on the node: calls by a deadline (budget.py),
long `evm_mine`s by letting go between slices of blocks.

And `last_used` notes when a client last used the chain, so background work (settlement)
can wait for a quiet moment instead of making a user's next request queue behind it.

On eth-tester, `lock_public_methods` wraps every public method of a backend (and of its
`LockedEthereumTester`): Ape calls the backend directly as well as through `EthereumTester`.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic as _monotonic
from typing import Any, TypeVar

from eth_tester import EthereumTester

T = TypeVar("T", bound=type)

UNLOCKED = ("chain_lock", "idle_seconds")
"""Public methods that never take the lock."""


class ChainLock:
    """Re-entrant; `on_acquire` (cheap when idle) runs on every acquisition."""

    __slots__ = (
        "rlock",
        "on_acquire",
        "last_used",
        "depth",
        "generation",
        "reading",
        "waiting",
        "_count_lock",
    )

    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.on_acquire: Callable[[], None] | None = None
        """Called with the lock held, on every acquisition; if it raises, the lock is let go."""
        self.last_used = 0.0
        """`time.monotonic()` at the end of the last locked backend call."""
        self.depth = 0
        """How deep the holder holds it (through `with`; `lock_public_methods` does not count)."""
        self.generation = 0
        """Acquisitions so far: a read made without the lock is good if this did not move."""
        self.reading = False
        """The holder changes nothing that reads see (`reads_only`)."""
        self.waiting = 0
        """Threads blocked in `__enter__`: a long holder that lets go now and then (the
        node's `evm_mine`) waits until they are through."""
        self._count_lock = threading.Lock()

    def __enter__(self) -> ChainLock:
        rlock = self.rlock
        if not rlock.acquire(blocking=False):  # contended: count this thread as waiting
            with self._count_lock:
                self.waiting += 1
            try:
                rlock.acquire()
            finally:
                with self._count_lock:
                    self.waiting -= 1
        self._acquired()
        return self

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        self.rlock.release()

    def try_enter(self) -> bool:
        """`__enter__` unless another thread holds the lock: then False, without waiting.
        For reads that can be answered without queueing behind a long call."""
        if not self.rlock.acquire(blocking=False):
            return False
        self._acquired()
        return True

    def _acquired(self) -> None:
        self.depth += 1
        self.generation += 1
        hook = self.on_acquire
        if hook is not None:
            try:
                hook()
            except BaseException:
                self.depth -= 1
                self.rlock.release()
                raise

    @contextmanager
    def reads_only(self) -> Iterator[None]:
        """Within it the holder (if it holds the lock once: not inside a change) changes
        nothing that reads see, so they may run meanwhile (`generation` tells them if
        another thread took the lock since). For calls, which hold it up to their timeout."""
        if self.depth != 1:
            yield
            return
        self.reading = True
        try:
            yield
        finally:
            self.reading = False

    def idle_seconds(self) -> float:
        """How long no client has used the chain (through a locked backend method)."""
        return _monotonic() - self.last_used


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Runs `fn` under `self._chain_lock` and notes the time. Kept to attribute reads (no
    `ChainLock.__enter__` call): it wraps every call Ape and eth-tester make into the chain."""

    @functools.wraps(fn)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        lock = self._chain_lock
        with lock.rlock:
            if lock.on_acquire is not None:
                lock.on_acquire()
            result = fn(self, *args, **kwargs)
        lock.last_used = _monotonic()
        return result

    locked.chain_locked = True  # type: ignore[attr-defined]
    return locked


def lock_public_methods(cls: T) -> T:
    """Wrap every public plain method `cls` has (inherited ones too) in the chain lock, once."""
    for name in dir(cls):
        member = inspect.getattr_static(cls, name)
        skip = name.startswith("_") or name in UNLOCKED or getattr(member, "chain_locked", False)
        if not skip and inspect.isfunction(member):  # not static/class methods
            setattr(cls, name, _locked(member))
    return cls


@lock_public_methods
class LockedEthereumTester(EthereumTester):
    """`EthereumTester` whose operations hold its backend's chain lock."""

    def __init__(self, backend: Any, *args: Any, **kwargs: Any) -> None:
        self._chain_lock: ChainLock = backend.chain_lock
        super().__init__(backend, *args, **kwargs)
