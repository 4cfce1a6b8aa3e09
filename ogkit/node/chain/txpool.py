"""The transaction pool: transactions the node answered but cannot run yet, as geth keeps them.

Two kinds wait here. A transaction whose nonce is above its sender's next one (a nonce
gap) is *queued* until the gap fills. A next-nonce transaction within the block gas limit
that does not fit what is left of the pending block (`--block-time`, or automine off)
waits for the next block: the OpenGradient SDK sends `run_workflow` with a fixed 30,000,000
gas, so a second one in the same block time would otherwise be refused. The miner
(mining.py) runs what becomes runnable, in nonce order, as soon as it can: under automine
each in its own block right after the transaction that filled the gap, otherwise in the
pending block (when it fits) or the next one.

For `txpool_content` a sender's transactions in the pending block, and those here that
follow them without a gap, are "pending"; the rest "queued"; `eth_getTransactionCount` at
"pending" counts the first kind, as geth does.

Bounds, geth's defaults: 64 transactions per sender and 1024 in all wait here, at most 256
nonces ahead of the sender's next (its next one is never refused for them); a transaction
with the nonce of one waiting replaces it only with fees 10% higher ("replacement
transaction underpriced" otherwise). A transaction in the pending block cannot be replaced;
dropping it makes the pending block again without it (pendingdrop.py).

Durability: every answered transaction that is not in a sealed block, waiting here or in the
pending block, is stored under `POOL_KEY` until its block is stored (`Miner._sealed`), so a
restart (or a crash, even `kill -9`) loses none: at start they come back here and run again
(recovery.py). One that can no longer run when its turn comes (its fee below the base fee,
its sender short of funds) stays here, skipped, until it can, or is replaced or dropped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import rlp
from eth.abc import SignedTransactionAPI
from eth_utils import to_checksum_address

from ogkit.node.chain.outcome import rejection
from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.formatting import tx_type

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks

POOL_KEY = b"ogkit:pool:"
"""+ tx hash: rlp [raw tx, impersonated sender or b"", arrival number] of an answered
transaction not sealed yet (waiting in the pool or in the pending block)."""
MAX_PER_SENDER = 64
"""geth's `AccountQueue`."""
MAX_TOTAL = 1024
"""geth's `GlobalQueue`."""
MAX_NONCE_GAP = 256
"""How far ahead of its sender's next nonce a transaction may be (geth has no such bound)."""
PRICE_BUMP_PERCENT = 10
"""geth's `PriceBump`: a replacement pays at least this much more, fee cap and tip both."""


SenderTx = tuple[bytes, SignedTransactionAPI]


class NonceAhead(ServerError):
    """py-evm refused a transaction whose nonce is ahead of its sender's: the pool takes it."""

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


def refused(exc: Exception) -> ServerError:
    """`outcome.rejection`, but "nonce too high" as `NonceAhead` with the sender's next nonce."""
    error = rejection(exc)
    text = str(exc)
    if error.message.startswith("nonce too high"):
        return NonceAhead(error.message, int(text.split("Expected ")[1].split(",")[0]))
    return error


@dataclass
class PoolTx:
    tx: SignedTransactionAPI
    sender: bytes
    override: bytes | None
    """The impersonated sender, when the signature names another."""
    seq: int
    """Arrival order: what goes first among senders."""
    blocked: str | None = None
    """Why it could not run when its turn last came (retried at each new block)."""
    said: str | None = None
    """The reason last logged (each reason is logged once)."""


def fee_cap(tx: SignedTransactionAPI) -> int:
    """The most it pays per gas: its gas price, or its max fee (EIP-1559)."""
    return tx.max_fee_per_gas if tx_type(tx) >= 2 else tx.gas_price


def tip_cap(tx: SignedTransactionAPI) -> int:
    return tx.max_priority_fee_per_gas if tx_type(tx) >= 2 else tx.gas_price


def check_replacement(old: SignedTransactionAPI, new: SignedTransactionAPI) -> None:
    """geth's rule: both the fee cap and the tip must rise by `PRICE_BUMP_PERCENT`."""
    bump = 100 + PRICE_BUMP_PERCENT
    if fee_cap(new) * 100 < fee_cap(old) * bump or tip_cap(new) * 100 < tip_cap(old) * bump:
        raise ServerError(
            f"replacement transaction underpriced: the waiting transaction with nonce "
            f"{old.nonce} pays {fee_cap(old)} wei per gas (tip {tip_cap(old)}); a replacement "
            f"pays at least {PRICE_BUMP_PERCENT}% more of both"
        )


class TxPool:
    """The waiting transactions by sender and nonce, and their storage. Called with the
    chain lock held, except the `txpool_*` reads, which take it."""

    def __init__(self, blocks: Blocks) -> None:
        self.blocks = blocks
        self.db = blocks.db
        self.by_sender: dict[bytes, dict[int, PoolTx]] = {}
        self.by_hash: dict[bytes, PoolTx] = {}
        self._seq = 0
        self.max_per_sender = MAX_PER_SENDER
        self.max_total = MAX_TOTAL
        self.max_nonce_gap = MAX_NONCE_GAP
        self.drop_pending: Callable[[bytes], None] | None = None
        """Makes the pending block again without a transaction (pendingdrop.py)."""

    def __len__(self) -> int:
        return len(self.by_hash)

    def find(self, tx_hash: bytes) -> SignedTransactionAPI | None:
        entry = self.by_hash.get(tx_hash)
        return None if entry is None else entry.tx

    def has_sender(self, sender: bytes) -> bool:
        return sender in self.by_sender

    # ------------------------------------------------------------------ storage

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def store(self, tx: SignedTransactionAPI, override: bytes | None, seq: int) -> None:
        self.db[POOL_KEY + tx.hash] = rlp.encode([tx.encode(), override or b"", seq])

    def unstore(self, hashes: list[bytes]) -> None:
        with self.db.atomic_batch() as batch:
            for tx_hash in hashes:
                if POOL_KEY + tx_hash in batch:
                    del batch[POOL_KEY + tx_hash]

    def stored(self) -> list[tuple[int, bytes, bytes | None]]:
        """What a previous run left stored, as (arrival number, raw tx, impersonated sender),
        in arrival order."""
        found = []
        for _key, value in self.db.items_with_prefix(POOL_KEY):
            raw, override, seq = rlp.decode(value)
            found.append((int.from_bytes(seq, "big"), bytes(raw), bytes(override) or None))
        found.sort(key=lambda item: item[0])
        if found:
            self._seq = max(self._seq, found[-1][0])
        return found

    # ------------------------------------------------------------------ admission

    def admit(
        self, tx: SignedTransactionAPI, sender: bytes, override: bytes | None, next_nonce: int
    ) -> None:
        """Keep `tx` (nonce at or above `next_nonce`) until it can run; stored first."""
        waiting = self.by_sender.get(sender, {})
        old = waiting.get(tx.nonce)
        if old is not None:
            check_replacement(old.tx, tx)
        elif tx.nonce - next_nonce >= self.max_nonce_gap:
            raise ServerError(
                f"nonce too high: next nonce {next_nonce}, tx nonce {tx.nonce}; the pool keeps "
                f"transactions at most {self.max_nonce_gap} nonces ahead"
            )
        elif tx.nonce == next_nonce:
            pass  # the sender's next: it runs as soon as there is room, whatever the bounds
        elif len(waiting) >= self.max_per_sender:
            raise ServerError(
                f"account limit exceeded: {self.max_per_sender} transactions of "
                f"{to_checksum_address(sender)} wait in the pool already"
            )
        elif len(self.by_hash) >= self.max_total:
            raise ServerError(f"txpool is full: {self.max_total} transactions wait already")
        entry = PoolTx(tx, sender, override, self.next_seq())
        self.store(tx, override, entry.seq)
        if old is not None:
            self.remove(old.tx.hash)
        self.put(entry)

    def put(self, entry: PoolTx) -> None:
        self.by_sender.setdefault(entry.sender, {})[entry.tx.nonce] = entry
        self.by_hash[entry.tx.hash] = entry

    def take(self, entry: PoolTx) -> None:
        """Out of the pool, still stored (it goes into the pending block)."""
        del self.by_hash[entry.tx.hash]
        waiting = self.by_sender[entry.sender]
        del waiting[entry.tx.nonce]
        if not waiting:
            del self.by_sender[entry.sender]

    def remove(self, tx_hash: bytes) -> PoolTx | None:
        """Out of the pool and its storage."""
        entry = self.by_hash.get(tx_hash)
        if entry is not None:
            self.take(entry)
            self.unstore([tx_hash])
        return entry

    def drop_stale(self, sender: bytes, next_nonce: int) -> None:
        """A nonce below the sender's next can never run (mined by another transaction)."""
        for nonce, entry in list(self.by_sender.get(sender, {}).items()):
            if nonce < next_nonce:
                print(
                    f"txpool: dropped 0x{entry.tx.hash.hex()}: nonce {nonce} was used already",
                    file=sys.stderr,
                )
                self.remove(entry.tx.hash)

    def heads(self, nonces: dict[bytes, int]) -> list[PoolTx]:
        """Each sender's next transaction, if it waits here and is not blocked; first come
        first."""
        found = []
        for sender, waiting in self.by_sender.items():
            entry = waiting.get(nonces[sender])
            if entry is not None and entry.blocked is None:
                found.append(entry)
        return sorted(found, key=lambda entry: entry.seq)

    def drop(self, tx_hash: bytes) -> bool:
        """`anvil_dropTransaction`: whether it was waiting, here or in the pending block (it
        is gone now)."""
        if self.remove(tx_hash) is not None:
            return True
        found = self.blocks.find_transaction(tx_hash)
        if found is None or found[1] is not None:
            return False
        if self.drop_pending is None:
            raise ServerError(f"transaction 0x{tx_hash.hex()} is in the pending block already")
        self.drop_pending(tx_hash)
        return True

    def drop_all(self) -> int:
        """`anvil_dropAllTransactions`: every waiting one (not the pending block's)."""
        hashes = list(self.by_hash)
        for tx_hash in hashes:
            self.remove(tx_hash)
        return len(hashes)

    def drop_sender(self, sender: bytes) -> int:
        """`anvil_removePoolTransactions`: every waiting one of `sender`."""
        hashes = [entry.tx.hash for entry in self.by_sender.get(sender, {}).values()]
        for tx_hash in hashes:
            self.remove(tx_hash)
        return len(hashes)

    def has_stuck(self) -> bool:
        """Whether one waits that could not run when its turn came (it is retried after
        every block)."""
        return any(entry.said is not None for entry in self.by_hash.values())

    def unblock(self) -> None:
        for entry in self.by_hash.values():
            entry.blocked = None

    def block(self, entry: PoolTx, reason: str) -> None:
        """Its turn came and it could not run: back in the pool, skipped until the next block."""
        if reason != entry.said:
            print(f"txpool: 0x{entry.tx.hash.hex()} waits: {reason}", file=sys.stderr)
            entry.said = reason
        entry.blocked = reason
        self.put(entry)

    # ------------------------------------------------------------------ reads

    def next_nonce(self, sender: bytes, state_nonce: int) -> int:
        """The "pending" nonce: past the transactions waiting here without a gap."""
        waiting = self.by_sender.get(sender, {})
        nonce = state_nonce
        while nonce in waiting:
            nonce += 1
        return nonce

    def split(self) -> tuple[list[SenderTx], list[SenderTx]]:
        """(pending, queued) as (sender, tx): the pending block's, then the pool's."""
        blocks = self.blocks
        pending: list[SenderTx] = []
        queued: list[SenderTx] = []
        if blocks.pending_has_txs():
            pending = [(blocks.sender_of(tx), tx) for tx in blocks.chain.get_block().transactions]
        state = blocks.chain.get_vm().state
        for sender, waiting in self.by_sender.items():
            runnable = self.next_nonce(sender, state.get_nonce(sender))
            for nonce in sorted(waiting):
                (pending if nonce < runnable else queued).append((sender, waiting[nonce].tx))
        return pending, queued
