"""The canonical chain as the node reads it: the head, blocks, receipts, transactions and
state by block parameter, with small caches. What every other part of the chain side reads
through; it holds the py-evm chain, the database and the lock they share.

Mined blocks are immutable, so recent blocks, receipts and senders are cached by hash; only
sealing (`remember_block`) and moving the head (`forget_head`) change the head.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from eth.abc import BlockAPI, BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH
from eth.exceptions import BlockNotFound, HeaderNotFound, TransactionNotFound

from ogkit.chain.locking import ChainLock
from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.params import BlockRef

T = TypeVar("T")
_AGAIN = object()
SENDER_KEY = b"ogkit:sender:"
"""+ tx hash: the sender of an impersonated transaction (its signature names another)."""


class LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value

    def lookup(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


class Blocks:
    def __init__(self, chain: MiningChain, db: Any, lock: ChainLock) -> None:
        self.chain = chain
        """py-evm's chain; its `header` is the pending block on top of the head."""
        self.db = db
        self.lock = lock
        self.senders = LRU(65_536)
        self.block_cache = LRU(256)
        self.receipt_cache = LRU(256)
        self._head: BlockHeaderAPI | None = None
        self.waiting: Callable[[bytes], SignedTransactionAPI | None] = lambda tx_hash: None
        """A transaction waiting in the pool (txpool.py), by hash."""
        self.owes_block: Callable[[], bool] = lambda: False
        """The miner's: an answered transaction's block is still to be sealed."""
        if hasattr(chain, "owe_header"):  # its owed pending header is made under the lock
            chain.pending_lock = lock  # (pending.py)

    # ------------------------------------------------------------------ head

    @property
    def head(self) -> BlockHeaderAPI:
        """The canonical head; kept here, as only sealing and `forget_head` change it."""
        with self.lock:
            if self._head is None:
                self._head = self.chain.get_canonical_head()
            return self._head

    def forget_head(self) -> None:
        self._head = None

    def pending_has_txs(self) -> bool:
        if self._owed_parent() is not None:  # an owed pending header has none (pending.py)
            return False
        return self.chain.header.transaction_root != BLANK_ROOT_HASH

    def _owed_parent(self) -> BlockHeaderAPI | None:
        owed = getattr(self.chain, "owed_parent", None)
        return None if owed is None else owed()

    def block_number(self) -> int:
        """The head's number. While another request holds the lock (a call may hold it up
        to its timeout), the head is read without it: that request sealed every answered
        transaction's block when it took the lock (`owes_block`: unless it is doing so)."""
        if not self.lock.try_enter():
            head = self._head
            if head is not None and not self.owes_block():
                return head.block_number
            self.lock.__enter__()
        try:
            return self.head.block_number
        finally:
            self.lock.__exit__()

    # ------------------------------------------------------------------ blocks

    def header_for(self, ref: BlockRef) -> BlockHeaderAPI | None:
        """The block a block parameter names; None if there is none (yet)."""
        with self.lock:
            head = self.head
            if ref.hash is not None:
                try:
                    header = self.chain.get_block_header_by_hash(ref.hash)
                except (HeaderNotFound, BlockNotFound):
                    return None
                if not self.is_canonical(header, head):
                    if ref.require_canonical:
                        raise ServerError("block is not canonical")
                    return None
                return header
            if ref.number is not None:
                if ref.number > head.block_number:
                    return None
                return self._canonical_header(ref.number, head)
            if ref.tag == "earliest":
                return self.chain.get_canonical_block_header_by_number(0)
            if ref.tag == "pending":
                return self.chain.header
            return head

    def _canonical_header(self, number: int, head: BlockHeaderAPI) -> BlockHeaderAPI:
        """The canonical header at `number` (at most `head`'s): the head itself without a
        database read and header decode, as for the receipt of the block just sealed."""
        if number == head.block_number:
            return head
        return self.chain.get_canonical_block_header_by_number(number)

    def is_canonical(self, header: BlockHeaderAPI, head: BlockHeaderAPI) -> bool:
        if header.block_number > head.block_number:
            return False
        try:
            return self.chain.get_canonical_block_hash(header.block_number) == header.hash
        except HeaderNotFound:
            return False

    def block(self, ref: BlockRef) -> tuple[BlockAPI, bool] | None:
        """(block, is_pending)."""
        with self.lock:
            header = self.header_for(ref)
            if header is None:
                return None
            if ref.tag == "pending":
                return self.chain.get_block(), True
            return self.block_by_header(header), False

    def block_by_header(self, header: BlockHeaderAPI) -> BlockAPI:
        with self.lock:
            block = self.block_cache.lookup(header.hash)
            if block is None:
                block = self.block_cache.put(header.hash, self.chain.get_block_by_header(header))
            return block

    def remember_block(self, block: BlockAPI, head: bool = False) -> None:
        """Cache a block just sealed (`head`: it is the new canonical head)."""
        self.block_cache.put(block.hash, block)
        if head:
            self._head = block.header

    def remember_receipts(self, block: BlockAPI, receipts: tuple) -> None:
        self.receipt_cache.put(block.hash, receipts)

    def receipts(self, block: BlockAPI) -> tuple:
        with self.lock:
            found = self.receipt_cache.lookup(block.hash)
            if found is None:
                found = tuple(block.get_receipts(self.chain.chaindb))
                if self.chain.chaindb.header_exists(block.hash):
                    self.receipt_cache.put(block.hash, found)
            return found

    # ------------------------------------------------------------------ transactions

    def find_transaction(
        self, tx_hash: bytes
    ) -> tuple[SignedTransactionAPI, BlockAPI | None, int | None] | None:
        """(tx, block or None when pending, index: None when it waits in the pool)."""
        with self.lock:
            try:
                number, index = self.chain.chaindb.get_transaction_index(tx_hash)
            except TransactionNotFound:
                number = None
            head = self.head
            if number is not None and number <= head.block_number:
                block = self.block_by_header(self._canonical_header(number, head))
                if index < len(block.transactions) and block.transactions[index].hash == tx_hash:
                    return block.transactions[index], block, index
            if self.pending_has_txs():
                for i, tx in enumerate(self.chain.get_block().transactions):
                    if tx.hash == tx_hash:
                        return tx, None, i
            waiting = self.waiting(tx_hash)
            return None if waiting is None else (waiting, None, None)

    def sender_of(self, tx: SignedTransactionAPI) -> bytes:
        with self.lock:
            sender = self.senders.lookup(tx.hash)
            if sender is None:
                stored = self.db.get(SENDER_KEY + tx.hash)
                sender = self.senders.put(tx.hash, stored or tx.sender)
            return sender

    def remember_sender(self, tx_hash: bytes, sender: bytes) -> None:
        self.senders.put(tx_hash, sender)

    # ------------------------------------------------------------------ state

    def _state_header(self, ref: BlockRef) -> BlockHeaderAPI:
        """The header whose state a read at `ref` sees (dev changes included at latest)."""
        if ref.tag in ("latest", "safe", "finalized") and not self.pending_has_txs():
            return self.chain.header
        header = self.header_for(ref)
        if header is None:
            raise ServerError("header not found")
        return header

    def read_state(self, ref: BlockRef, read: Callable[[Any], T]) -> T:
        """`read(the state at ref)`. While another request holds the lock only to run a call
        (up to its timeout: `ChainLock.reads_only`), a read of the latest or pending state
        does not wait: it runs meanwhile, and counts if no thread took the lock since."""
        lock = self.lock
        if not lock.try_enter():
            generation = lock.generation
            if lock.reading and not self.owes_block():
                header = self._unlocked_state_header(ref)
                if header is not None:
                    try:
                        value = read(self.chain.get_vm(header).state)
                    except Exception:  # noqa: BLE001 - read again below, with the lock
                        value = _AGAIN
                    if value is not _AGAIN and lock.generation == generation and lock.reading:
                        return value
            lock.__enter__()
        try:
            return read(self.chain.get_vm(self._state_header(ref)).state)
        finally:
            lock.__exit__()

    def _unlocked_state_header(self, ref: BlockRef) -> BlockHeaderAPI | None:
        """`_state_header` for the latest or pending state without the lock; None for others."""
        if ref.hash is not None or ref.number is not None or ref.tag == "earliest":
            return None
        owed = self._owed_parent()
        if owed is not None:
            return owed  # the owed pending header starts from its parent's state
        if ref.tag == "pending" or not self.pending_has_txs():
            return self.chain.header
        return self._head
