"""The next pending block's header, made when first needed instead of at every seal.

After an automined block is sealed, py-evm makes the next pending header at once (base fee,
blob gas, a fresh PREVRANDAO: ~0.15 ms). Nothing needs it to answer the receipt that usually
comes next, so the node owes it instead: the first read of `chain.header` makes it, or, if
none came first, the server after its next response (`make_owed`), while the client reads
that response; the server then also makes the VM, state and empty block the next
transaction runs in (~0.09 ms), used if the pending header is still the same object.
Either way the header is made once, under the chain lock, from the head it follows; an owed
header holds no transactions and starts from its parent's state, which is what the reads
that skip the lock use meanwhile (blocks.py).
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH

from ogkit.chain.locking import ChainLock


def lazy_pending(chain_class: type[MiningChain]) -> type[MiningChain]:
    """`chain_class` whose pending header can be owed (`owe_header`) and is made on first use."""

    class LazyPendingChain(chain_class):  # type: ignore[valid-type, misc]
        pending_lock: ChainLock | None = None
        """The chain lock, held while an owed header is made (set by `Blocks`)."""
        _owed_parent: BlockHeaderAPI | None = None
        _pending: BlockHeaderAPI | None = None
        _prepared: tuple[BlockHeaderAPI, Any, Any] | None = None

        @property
        def header(self) -> BlockHeaderAPI:
            if self._owed_parent is not None:
                self._make_owed()
            return self._pending  # type: ignore[return-value]

        @header.setter
        def header(self, value: BlockHeaderAPI) -> None:
            self._owed_parent = None
            self._prepared = None
            self._pending = value

        def owe_header(self, parent: BlockHeaderAPI) -> None:
            """The pending block after `parent` (the head just sealed), made later."""
            self._owed_parent = parent

        def prepare_vm(self) -> None:
            """Make the VM, its state and empty block for the pending header ahead."""
            header = self.header
            vm = self.get_vm(header)
            self._prepared = (header, vm, vm.get_block())
            vm.state  # noqa: B018 - built now, not when the transaction comes

        def take_vm(self) -> tuple[Any, Any]:
            """(VM, its empty block) for the pending header, to apply one transaction to:
            the prepared pair if it was made for this very header (once), else new ones."""
            prepared, self._prepared = self._prepared, None
            header = self.header
            if prepared is not None and prepared[0] is header:
                return prepared[1], prepared[2]
            vm = self.get_vm(header)
            return vm, vm.get_block()

        def vm_ready(self) -> bool:
            """The pending header is made and a VM made ahead for it (never makes either)."""
            prepared = self._prepared
            return (
                self._owed_parent is None and prepared is not None and prepared[0] is self._pending
            )

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
    make an owed pending header and the VM for it (automine)."""
    if miner.owes_block(sealing_counts=False):  # else no wait behind a long call
        with lock:
            return
    if miner.automine:  # its transactions run alone, each in a VM made for the empty block
        make_owed(chain, lock)


def make_owed(chain: Any, lock: ChainLock) -> None:
    """Make an owed pending header now, and the VM its transaction will run in, unless they
    are made, or another thread holds the lock (it makes the header when it needs it)."""
    if chain.vm_ready():
        return
    if lock.try_enter():
        try:
            if chain.header.transaction_root == BLANK_ROOT_HASH:
                chain.prepare_vm()
        finally:
            lock.__exit__()
