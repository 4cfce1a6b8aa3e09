"""Snapshot ids for Ape's test isolation: one new id per snapshot, naming a block.

Ape keeps the ids of the open scopes (session, package, module, class, test) in one list,
adds an id only if it is not there yet, and on a restore drops that id and every later one;
its isolation then skips the restore of a scope whose id is gone. Ape's `LocalProvider`
answers a snapshot with the latest block's hash, so a test that starts on its module's
block gets the module's id: restoring the test dropped the module's id too, and the
module's restore was skipped. Whatever the module did after that (a module fixture first
made for a later test: a deployment, the settlement service's transactions) stayed for
every later module, which then ran at other block numbers and nonces.

With an id per snapshot (as eth-tester's own `take_snapshot` and anvil's `evm_snapshot`),
each scope restores its own. An id that is not ours (a block hash) names that block.
"""

from __future__ import annotations

import itertools
import threading


class SnapshotIds:
    """Ids 1, 2, ... each naming the block hash it was taken on."""

    def __init__(self) -> None:
        self._blocks: dict[int, bytes] = {}
        self._next = itertools.count(1)
        self._lock = threading.Lock()

    def take(self, block_hash: bytes) -> int:
        with self._lock:
            snapshot_id = next(self._next)
            self._blocks[snapshot_id] = block_hash
        return snapshot_id

    def block_of(self, snapshot_id: object) -> bytes | object:
        """The block an id names: ours by number, anything else (a block hash) as given."""
        if isinstance(snapshot_id, int) and not isinstance(snapshot_id, bool):
            return self._blocks.get(snapshot_id, snapshot_id)
        return snapshot_id


__all__ = ["SnapshotIds"]
