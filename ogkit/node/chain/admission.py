"""Which incoming transactions run now and which wait in the pool, and running the waiting
ones when they can (txpool.py says what waits, and why): the pool side of the `Miner`.

A transaction runs at once when its sender has nothing waiting and it fits what is left of
its block; that path costs nothing more than before (a nonce above the sender's next is
found by py-evm's own check, `NonceAhead`). Otherwise its nonce and room are checked here.
After each block, and each transaction whose sender has more waiting, `_promote` runs
what became runnable: each sender's next transaction, first come first, while it fits.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from eth.abc import SignedTransactionAPI
from eth_utils import ValidationError, keccak

from ogkit.chain.fork import check_floor_data_gas
from ogkit.node.chain.transactions import decode_raw
from ogkit.node.chain.txpool import NonceAhead, PoolTx, TxPool, refused
from ogkit.node.rpc.errors import ServerError

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks


class Admission:
    """Mixed into `Miner`, which provides `_run` and `settle`."""

    blocks: Blocks
    pool: TxPool
    automine: bool
    _promoting: bool

    def _run(self, tx: SignedTransactionAPI, sender: bytes | None, stored: bool = False) -> None:
        raise NotImplementedError

    def settle(self) -> None:
        raise NotImplementedError

    def _fits(self, tx: SignedTransactionAPI) -> bool:
        """Whether `tx` fits what is left of the block it goes in (automine: a new one)."""
        if self.automine:
            return True
        header = self.blocks.chain.header
        return header.gas_used + tx.gas <= header.gas_limit

    def _admit(self, tx: SignedTransactionAPI, who: bytes, sender: bytes | None) -> None:
        """The slow path: `who` has transactions waiting, `tx` does not fit the pending
        block, or its nonce is ahead. Checked, it goes into the pool; `_promote` runs it at
        once if it can (the next nonce, room in the block)."""
        chain = self.blocks.chain
        limit = chain.header.gas_limit
        if tx.gas > limit:
            raise ServerError(f"exceeds block gas limit: using {tx.gas}, but limit is {limit}")
        state = chain.get_vm().state
        nonce = state.get_nonce(who)
        if tx.nonce < nonce:
            raise ServerError(f"nonce too low: next nonce {nonce}, tx nonce {tx.nonce}")
        try:  # what py-evm checks before the nonce: intrinsic gas, fees, funds
            tx.validate()
            state.validate_transaction(tx)
        except ValidationError as exc:
            error = refused(exc)
            if not isinstance(error, NonceAhead):
                raise error from None
        try:  # ... and after it (fork.py)
            check_floor_data_gas(tx)
        except ValidationError as exc:
            raise refused(exc) from None
        self.pool.admit(tx, who, sender, nonce)

    def _promote(self, sender: bytes | None = None) -> None:
        """Run what waits in the pool and can run now, in nonce order (txpool.py). After a
        transaction of `sender`, only if `sender` has some waiting or some wait stuck: an
        automined block is sealed here, not after the answer (ogkit/chain/locking.py)."""
        pool = self.pool
        if not len(pool) or self._promoting:
            return
        if sender is not None and not pool.has_sender(sender) and not pool.has_stuck():
            return
        self._promoting = True
        try:
            self.settle()  # an automined block owed: its sender's nonce must count it
            state = self.blocks.chain.get_vm().state
            nonces = {sender: state.get_nonce(sender) for sender in pool.by_sender}
            for sender, nonce in nonces.items():
                pool.drop_stale(sender, nonce)
            ran = True
            while ran:
                ran = False
                for entry in pool.heads(nonces):
                    if self._fits(entry.tx) and self._run_waiting(entry):
                        nonces[entry.sender] += 1
                        ran = True
        finally:
            self._promoting = False

    def _run_waiting(self, entry: PoolTx) -> bool:
        """Whether it ran; if it cannot, it goes back to wait (blocked until the next block)."""
        self.pool.take(entry)
        try:
            self._run(entry.tx, entry.override, stored=True)
        except Exception as exc:  # noqa: BLE001 - a refusal: it waits, the node goes on
            self.pool.block(entry, getattr(exc, "message", None) or str(exc))
            return False
        return True

    def run_again(self, tx: SignedTransactionAPI, override: bytes | None) -> None:
        """A stored transaction of a pending block made again (pendingdrop.py): into the new
        one, or, its nonce now ahead, into the pool; if it cannot run any more, dropped."""
        if override is not None:
            tx.__dict__["sender"] = override
        sender = override or tx.sender
        try:
            self._run(tx, override, stored=True)
        except NonceAhead:
            self.pool.put(PoolTx(tx, sender, override, self.pool.next_seq()))
        except Exception as exc:  # noqa: BLE001 - say so; the others go on
            print(f"txpool: dropped 0x{tx.hash.hex()}: {exc}", file=sys.stderr)
            self.pool.unstore([tx.hash])

    def restore_pool(self) -> int:
        """At start: what a previous run answered and did not seal goes back into the pool
        and runs when it can (txpool.py); how many."""
        pool = self.pool
        with self.blocks.lock:
            count = 0
            for seq, raw, override in pool.stored():
                try:
                    tx = decode_raw(self.blocks.chain, raw)
                except ServerError as exc:  # not written by this node: say so, start anyway
                    print(f"txpool: a stored transaction is unreadable: {exc}", file=sys.stderr)
                    pool.unstore([keccak(raw)])  # its hash, whatever its type
                    continue
                if self.blocks.find_transaction(tx.hash) is not None:
                    pool.unstore([tx.hash])  # sealed before the stop
                    continue
                if override is not None:
                    tx.__dict__["sender"] = override
                sender = override or tx.sender
                older = pool.by_sender.get(sender, {}).get(tx.nonce)
                if older is not None:
                    pool.remove(older.tx.hash)  # replaced just before the stop
                pool.put(PoolTx(tx, sender, override, seq))
                count += 1
            self._promote()
            return count
