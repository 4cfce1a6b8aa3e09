"""Transactions into blocks: apply to the pending block, seal it, tell the listeners.

With automine each accepted transaction is sealed into its own block before the node
serves anything else: at once in-process, and over HTTP right after the response is written
(ogkit/chain/locking.py; the transaction is stored first, so a crash in between loses
nothing answered: recovery.py); with a block time, a thread seals the pending block
periodically; `evm_mine` seals on request. Before a block is sealed, what goes with it is
written in one batch: the inference records of its transactions and the state root each
transaction ran on (a trace re-executes on it); the sender of an impersonated transaction
is stored when it is applied. A transaction that cannot run yet (a nonce gap, no room left
in the pending block) waits in the pool (txpool.py; admission.py decides and runs it later);
one in the pending block is stored until its block is (`_in_pending`), like the pool's.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import rlp
from eth.abc import BlockAPI, SignedTransactionAPI
from eth_utils import ValidationError, keccak

from ogkit.node.chain import records
from ogkit.node.chain.admission import Admission
from ogkit.node.chain.blocks import SENDER_KEY
from ogkit.node.chain.slices import mine_in_slices
from ogkit.node.chain.transactions import check_chain_id
from ogkit.node.chain.txpool import NonceAhead, TxPool, refused
from ogkit.node.rpc.errors import ServerError

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks
    from ogkit.node.chain.clock import Clock

PRESTATE_KEY = b"ogkit:prestate:"
"""+ tx hash: the state root the transaction ran on."""
OWED_TX_KEY = b"ogkit:owed-tx"
"""rlp [raw tx, sender or b""] of the automined block owed (answered, not sealed yet): a
crash before the sealing would otherwise lose a transaction whose hash was returned
(recovery.py applies it again at start)."""


@dataclass
class MinedTx:
    """What the log line of a sealed transaction says."""

    tx_hash: bytes
    block_number: int
    gas_used: int
    status: int
    contract: bytes | None
    inferences: list[records.InferenceEvent] = field(default_factory=list)


class Miner(Admission):
    """Seals blocks on `blocks` with `clock`'s timestamps; `engine_record(inference id)` is
    the inference engine's record of a run, stored with the block."""

    def __init__(
        self,
        blocks: Blocks,
        clock: Clock,
        chain_id: int,
        engine_record: Callable[[str], Any],
        block_time: float | None,
    ) -> None:
        self.blocks = blocks
        self.clock = clock
        self.chain_id = chain_id
        self.engine_record = engine_record
        self.block_time = block_time
        self.automine = block_time is None
        self.on_mined: list[Callable[[BlockAPI, list[MinedTx]], None]] = []
        self._pending_records: list[dict[str, Any]] = []
        self._pending_mined: list[MinedTx] = []
        self._pending_prestates: list[tuple[bytes, bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._defer = threading.local()
        self._owed: tuple | None = None
        """An automined block executed but not sealed yet (see ogkit/chain/locking.py)."""
        self._settling = False
        self.before_block: Callable[[], object] | None = None
        """Adds the node's own transactions to the pending block (`_add_node_transactions`)."""
        self.pool = TxPool(blocks)
        """What waits for a nonce gap to fill or for room in a block (txpool.py)."""
        blocks.waiting = self.pool.find
        self._in_pending: list[bytes] = []
        """Stored transactions (txpool.py `POOL_KEY`) in the pending block: unstored once sealed."""
        self._promoting = False

    # ------------------------------------------------------------------ transactions

    def submit(self, tx: SignedTransactionAPI, sender: bytes | None = None) -> bytes:
        """Apply `tx` to the pending block (and seal it, with automine), or keep it in the
        pool until it can run (txpool.py); `sender` overrides the signature's (an
        impersonated account)."""
        blocks = self.blocks
        check_chain_id(tx, self.chain_id)
        with blocks.lock:
            if blocks.find_transaction(tx.hash) is not None:
                raise ServerError("already known")
            if sender is not None:
                tx.__dict__["sender"] = sender
            who = sender or tx.sender
            self.clock.freshen_pending()
            if self.pool.has_sender(who) or not self._fits(tx):
                self._admit(tx, who, sender)
            else:
                try:
                    self._run(tx, sender)
                except NonceAhead:
                    self._admit(tx, who, sender)  # checks what py-evm did not get to
            self._promote(who)
            return tx.hash

    def _run(self, tx: SignedTransactionAPI, sender: bytes | None, stored: bool = False) -> None:
        """Into a block: one of its own at once with automine, else the pending block, where
        it is stored until sealed (`stored`: it is already, coming from the pool)."""
        blocks = self.blocks
        if self.automine and not blocks.pending_has_txs():
            self._node_transactions_first()
        if self.automine and not blocks.pending_has_txs():
            pre_state = blocks.chain.header.state_root
            defer = getattr(self._defer, "on", False) and not stored
            self._seal_alone(tx, sender, pre_state, defer, stored)
            return
        self.include(tx, sender)
        if not stored and not self.automine:
            self.pool.store(tx, sender, self.pool.next_seq())
        if stored or not self.automine:
            self._in_pending.append(tx.hash)
        if self.automine:
            self.mine_one()

    def include(self, tx: SignedTransactionAPI, sender: bytes | None = None) -> None:
        """Apply `tx` to the pending block, without sealing it."""
        chain = self.blocks.chain
        pre_state = chain.header.state_root
        try:
            block, receipt, _computation = chain.apply_transaction(tx)
        except ValidationError as exc:
            raise refused(exc) from None
        previous = (
            block.get_receipts(chain.chaindb)[-2].gas_used if len(block.transactions) > 1 else 0
        )
        self._note(tx, sender, pre_state, block.number, receipt, previous)

    def _add_node_transactions(self) -> None:
        """The node's own transactions (scheduled workflow runs, scheduling.py) go into the
        pending block just before it is sealed."""
        if self.before_block is not None:
            self.before_block()

    def _node_transactions_first(self) -> None:
        """Automine: if the node has transactions due, they are sealed in a block of their
        own before the incoming one, which keeps the whole block gas (Ape sends the block
        gas limit)."""
        self._add_node_transactions()
        if self.blocks.pending_has_txs():
            self.mine_one()
            self.clock.freshen_pending()

    def _seal_alone(
        self,
        tx: SignedTransactionAPI,
        sender: bytes | None,
        pre_state: bytes,
        defer: bool,
        stored: bool = False,
    ) -> None:
        """Automine's path: the transaction and its block in one VM, so the state root is
        computed once and the pending block is never stored and read back.

        The same steps as `MiningChain.apply_transaction` + `mine_block` (the block is
        identical), without their repeats: a second VM and state, the block's transactions
        decoded from the database, a second state persist, and the chain-level validation
        (the header is checked against its parent in `_seal`). With `defer`
        the sealing is owed until the lock is next taken (see ogkit/chain/locking.py).
        """
        chain = self.blocks.chain
        vm, base = chain.take_vm()  # made ahead after the last response, if it could be
        try:
            receipt, _computation = vm.apply_transaction(base.header, tx)
        except ValidationError as exc:
            raise refused(exc) from None
        header = vm.add_receipt_to_header(base.header, receipt)
        block = vm.set_block_transactions_and_withdrawals(base, header, (tx,), (receipt,))
        try:
            self._note(tx, sender, pre_state, block.number, receipt, 0)
        except BaseException:
            self.reset_pending()
            raise
        if stored:
            self._in_pending.append(tx.hash)
        if defer:
            self.blocks.db[OWED_TX_KEY] = rlp.encode([tx.encode(), sender or b""])
            self._owed = (vm, block, receipt)
        else:
            self._seal(vm, block, receipt)

    def settle(self) -> None:
        """Seal the owed block, if any (called with the lock held)."""
        if self._owed is None:
            return
        self._settling = True  # before `_owed` goes: `owes_block` is never falsely False
        owed, self._owed = self._owed, None
        try:
            self._seal(*owed)
        except Exception:  # noqa: BLE001 - its sender got a hash only: drop the transaction
            print("sealing a block failed; its transaction is dropped:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
        finally:
            self._settling = False
        del self.blocks.db[OWED_TX_KEY]  # after the block (a crash between: recovery.py)

    def owes_block(self, sealing_counts: bool = True) -> bool:
        """An answered transaction's block is not sealed yet (safe to ask without the lock:
        whoever takes the lock seals it first, so while another thread holds it this is
        True only while that thread is sealing it; `sealing_counts=False`: not even then)."""
        return self._owed is not None or (sealing_counts and self._settling)

    @contextmanager
    def deferring(self) -> Iterator[None]:
        self._defer.on = True
        try:
            yield
        finally:
            self._defer.on = False

    def _seal(self, vm: Any, block: BlockAPI, receipt: Any) -> None:
        chain = self.blocks.chain
        try:
            self._write_pending(block.number)
            # `VM.mine_block` without `pack_block`: the header has its mixHash already
            mined = vm.finalize_block(block).block
            # Against its parent (number, timestamp, gas limit, base fee, gas used, extra
            # data): `VM.validate_block` would also decode the parent twice from the
            # database and rebuild the transaction root this block was just built from.
            parent = self.blocks.head
            if parent.hash == mined.header.parent_hash:
                vm.validate_header(mined.header, parent)
            else:  # not on the head (never expected): the full check, parent from the db
                vm.validate_block(mined)
            chain.chaindb.persist_block(mined)
        except BaseException:
            self.reset_pending()  # the pending block is still the empty one
            raise
        chain.owe_header(mined.header)  # the next pending header, made when needed (pending.py)
        self.blocks.remember_receipts(mined, (receipt,))
        self._sealed(mined)

    def _note(
        self,
        tx: SignedTransactionAPI,
        sender: bytes | None,
        pre_state: bytes,
        number: int,
        receipt: Any,
        previous_gas: int,
    ) -> None:
        """What goes with an applied transaction: its pre-state, its sender, its inference
        records and its log line."""
        blocks = self.blocks
        self._pending_prestates.append((tx.hash, pre_state))
        blocks.remember_sender(tx.hash, sender or tx.sender)
        if sender is not None:
            blocks.db[SENDER_KEY + tx.hash] = sender
        events = records.inference_events(receipt.logs)
        for event in events:
            self._pending_records.append(
                records.record_json(self.engine_record(event.inference_id), event, tx.hash)
            )
        self._pending_mined.append(
            MinedTx(
                tx_hash=tx.hash,
                block_number=number,
                gas_used=receipt.gas_used - previous_gas,
                status=1 if receipt.state_root == b"\x01" else 0,
                contract=(
                    None if tx.to else keccak(rlp.encode([blocks.sender_of(tx), tx.nonce]))[12:]
                ),
                inferences=events,
            )
        )

    def prestate_root(self, tx_hash: bytes) -> bytes | None:
        for pending_hash, root in self._pending_prestates:
            if pending_hash == tx_hash:
                return root
        return self.blocks.db.get(PRESTATE_KEY + tx_hash)

    def reset_pending(self) -> None:
        """The pending block was replaced (head moved): forget what went with it."""
        self._pending_records = []
        self._pending_mined = []
        self._pending_prestates = []
        self._unstore_pending()  # its transactions are gone with it

    def keep_stored(self) -> None:
        """The pending block's transactions stay stored when it is next replaced."""
        self._in_pending = []

    def _unstore_pending(self) -> None:
        if self._in_pending:
            self.pool.unstore(self._in_pending)
            self._in_pending = []

    # ------------------------------------------------------------------ blocks

    def mine_one(self, timestamp: int | None = None) -> BlockAPI:
        chain = self.blocks.chain
        clock = self.clock
        if timestamp is not None:
            clock.set_next(timestamp)
        if not self.blocks.pending_has_txs():
            clock.freshen_pending()
        elif clock.next_timestamp is not None:
            chain.header = chain.header.copy(timestamp=clock.next_timestamp)
        self._add_node_transactions()
        self._write_pending(chain.header.block_number)
        block = chain.mine_block(mix_hash=chain.header.mix_hash)
        self._sealed(block)
        return block

    def _write_pending(self, number: int) -> None:
        """Before the block is sealed, so every block reported mined has them on disk."""
        with self.blocks.db.atomic_batch() as batch:
            records.write_block_records(batch, number, self._pending_records)
            for tx_hash, root in self._pending_prestates:
                batch[PRESTATE_KEY + tx_hash] = root

    def _sealed(self, block: BlockAPI) -> None:
        self.blocks.remember_block(block, head=True)
        self.clock.next_timestamp = None
        self._pending_records = []
        self._pending_prestates = []
        self._unstore_pending()  # after the block is stored (a crash between: restore_pool)
        self.pool.unblock()
        mined, self._pending_mined = self._pending_mined, []
        for listener in self.on_mined:
            try:
                listener(block, mined)
            except Exception:  # noqa: BLE001, S110 - a log line must not undo a block
                pass

    def mine(self, blocks: int = 1, timestamp: int | None = None, interval: int = 1) -> list[bytes]:
        """Seal `blocks` blocks (`evm_mine`, `anvil_mine`), letting go of the lock between
        slices of them (slices.py)."""
        return mine_in_slices(self, blocks, timestamp, interval)

    def set_automine(self, on: bool) -> None:
        with self.blocks.lock:
            self.automine = on
            if on and self.blocks.pending_has_txs():
                self.mine_one()
            self._promote()

    # ------------------------------------------------------------------ interval mining

    def start(self) -> None:
        if self.block_time is None or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(self.block_time):
                try:
                    with self.blocks.lock:
                        self.mine_one()
                        self._promote()
                except Exception as exc:  # noqa: BLE001 - keep the block clock running
                    print(f"interval mining failed: {exc}", flush=True)

        self._thread = threading.Thread(target=loop, name="ogkit-miner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
