"""Moving the head back: `evm_snapshot`/`evm_revert` and `debug_setHead`.

A snapshot is the head block plus, when the pending block holds no transactions, the
pending state root (dev state changes made since the head). Moving the head drops the later
blocks from the canonical chain, with their transaction lookups and inference records, in
one atomic batch; then `pending_replaced` tells the miner and the clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rlp
from eth.abc import BlockHeaderAPI
from eth.db.schema import SchemaV1
from eth.rlp.sedes import chain_gaps

from ogkit.node.chain import records
from ogkit.node.rpc.errors import ServerError

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks


@dataclass
class _Snapshot:
    head: bytes
    pending_state_root: bytes | None


class HeadControl:
    """Snapshots, reverts and `debug_setHead` on `blocks`; `pending_replaced` runs after the
    pending block was made anew (the miner forgets what went with the old one)."""

    def __init__(self, blocks: Blocks, pending_replaced: Callable[[], None]) -> None:
        self.blocks = blocks
        self.pending_replaced = pending_replaced
        self._snapshots: dict[int, _Snapshot] = {}
        self._ids = itertools.count(1)

    def snapshot(self) -> int:
        blocks = self.blocks
        with blocks.lock:
            snapshot_id = next(self._ids)
            pending_root = None if blocks.pending_has_txs() else blocks.chain.header.state_root
            self._snapshots[snapshot_id] = _Snapshot(blocks.head.hash, pending_root)
            return snapshot_id

    def revert(self, snapshot_id: int) -> bool:
        blocks = self.blocks
        with blocks.lock:
            snapshot = self._snapshots.get(snapshot_id)
            if snapshot is None:
                return False
            for later in [i for i in self._snapshots if i >= snapshot_id]:
                del self._snapshots[later]
            header = blocks.chain.get_block_header_by_hash(snapshot.head)
            if not blocks.is_canonical(header, blocks.head):
                return False  # its block was dropped since (debug_setHead, an older revert)
            self.move_head(header, snapshot.pending_state_root)
            return True

    def set_head(self, number: int) -> None:
        blocks = self.blocks
        with blocks.lock:
            if number > blocks.head.block_number:
                raise ServerError(f"block {number} is ahead of the head {blocks.head.block_number}")
            self.move_head(blocks.chain.get_canonical_block_header_by_number(number), None)

    def move_head(self, header: BlockHeaderAPI, pending_state_root: bytes | None) -> None:
        """Make `header` the head: later blocks, their transaction lookups and inference
        records leave the canonical chain, all in one atomic batch."""
        blocks = self.blocks
        chain = blocks.chain
        old = blocks.head
        if header.hash != old.hash:
            drop_blocks_after(blocks.db, chain.chaindb, header, old)
            blocks.forget_head()
        pending = chain.create_header_from_parent(header)
        if pending_state_root is not None:
            pending = pending.copy(state_root=pending_state_root)
        chain.header = pending
        self.pending_replaced()


def drop_blocks_after(db: Any, chaindb: Any, header: BlockHeaderAPI, old: BlockHeaderAPI) -> None:
    """The blocks after `header` up to `old` leave the canonical chain, in one batch."""
    with db.atomic_batch() as batch:
        for number in range(header.block_number + 1, old.block_number + 1):
            key = SchemaV1.make_block_number_to_hash_lookup_key(number)
            block_hash = rlp.decode(batch[key], sedes=rlp.sedes.binary)
            old_header = chaindb.get_block_header_by_hash(block_hash)
            for tx_hash in chaindb.get_block_transaction_hashes(old_header):
                lookup = SchemaV1.make_transaction_hash_to_block_lookup_key(tx_hash)
                if lookup in batch:
                    del batch[lookup]
            del batch[key]
            records.delete_block_records(batch, number)
        gaps = rlp.encode(((), header.block_number + 1), sedes=chain_gaps)
        batch[SchemaV1.make_header_chain_gaps_lookup_key()] = gaps
        batch[SchemaV1.make_chain_gaps_lookup_key()] = gaps
        batch[SchemaV1.make_canonical_head_hash_lookup_key()] = header.hash
