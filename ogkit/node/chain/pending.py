"""The next pending block's header, made when first needed instead of at every seal.

After an automined block is sealed, py-evm makes the next pending header at once (base fee,
blob gas, a fresh PREVRANDAO: ~0.2 ms). Nothing needs it to answer the receipt that usually
comes next, so the node owes it instead: the first read of `chain.header` makes it, or, if
none came first, the server after its next response (`make_owed`), while the client reads
that response. Either way it is made once, under the chain lock, from the head it follows;
an owed header holds no transactions and starts from its parent's state, which is what the
reads that skip the lock use meanwhile (blocks.py).
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI
from eth.chains.base import MiningChain

from ogkit.chain.locking import ChainLock


def lazy_pending(chain_class: type[MiningChain]) -> type[MiningChain]:
    """`chain_class` whose pending header can be owed (`owe_header`) and is made on first use."""

    class LazyPendingChain(chain_class):  # type: ignore[valid-type, misc]
        pending_lock: ChainLock | None = None
        """The chain lock, held while an owed header is made (set by `Blocks`)."""
        _owed_parent: BlockHeaderAPI | None = None
        _pending: BlockHeaderAPI | None = None

        @property
        def header(self) -> BlockHeaderAPI:
            if self._owed_parent is not None:
                self._make_owed()
            return self._pending  # type: ignore[return-value]

        @header.setter
        def header(self, value: BlockHeaderAPI) -> None:
            self._owed_parent = None
            self._pending = value

        def owe_header(self, parent: BlockHeaderAPI) -> None:
            """The pending block after `parent` (the head just sealed), made later."""
            self._owed_parent = parent

        def owed_parent(self) -> BlockHeaderAPI | None:
            """The parent of the owed header, if it is owed; never makes it."""
            return self._owed_parent

        def _make_owed(self) -> None:
            lock = self.pending_lock
            if lock is None:
                self._make_owed_locked()
                return
            with lock.rlock:  # not `lock.__enter__`: its hook may seal, which sets `header`
                self._make_owed_locked()

        def _make_owed_locked(self) -> None:
            parent = self._owed_parent
            if parent is not None:  # another thread may have made it meanwhile
                self._pending = self.create_header_from_parent(parent)
                self._owed_parent = None

    LazyPendingChain.__name__ = LazyPendingChain.__qualname__ = chain_class.__name__
    return LazyPendingChain


def settle_after_response(miner: Any, chain: Any, lock: ChainLock) -> None:
    """After a response is written: seal the block it owes (taking the lock does), or else
    make an owed pending header."""
    if miner.owes_block(sealing_counts=False):  # else no wait behind a long call
        with lock:
            return
    make_owed(chain, lock)


def make_owed(chain: Any, lock: ChainLock) -> None:
    """Make an owed pending header now, if the lock is free (after a response is written:
    the client reads it meanwhile); a holder of the lock makes it when it needs it."""
    if getattr(chain, "owed_parent", None) is None or chain.owed_parent() is None:
        return
    if lock.try_enter():
        try:
            chain.header  # noqa: B018 - reading it makes it
        finally:
            lock.__exit__()
