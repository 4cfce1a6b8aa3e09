"""Embedded key-value storage for the node: py-evm's in-memory DB, or LevelDB via plyvel.

py-evm writes a block's header, canonical-head pointer and lookups in one `atomic_batch()`;
here that batch becomes one LevelDB write batch, so a block is either fully stored or not at
all. Writes reach the OS before `write()` returns (LevelDB flushes its log on every write),
so a killed process (`kill -9`) loses nothing it reported; `sync=True` also survives power
loss, at the cost of an fsync per batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eth.db.atomic import AtomicDB, AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB


class _LevelWriteBatch(AtomicDBWriteBatch):
    """A readable write batch whose commit is one LevelDB write batch."""

    _level: LevelDB

    def _commit(self) -> None:
        diff = self._diff()
        with self._level.db.write_batch(transaction=True, sync=self._level.sync) as batch:
            for key in diff.deleted_keys():
                batch.delete(key)
            for key, value in diff.pending_items():
                batch.put(key, value)


class LevelDB(BaseAtomicDB):
    """py-evm `AtomicDatabaseAPI` over a plyvel LevelDB directory."""

    def __init__(self, path: Path | str, sync: bool = False) -> None:
        import plyvel  # imported here: the in-memory node does not need it

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.sync = sync
        self.db = plyvel.DB(str(self.path), create_if_missing=True)

    def __getitem__(self, key: bytes) -> bytes:
        value = self.db.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.db.put(key, value, sync=self.sync)

    def _exists(self, key: bytes) -> bool:
        return self.db.get(key) is not None

    def __delitem__(self, key: bytes) -> None:
        if self.db.get(key) is None:
            raise KeyError(key)
        self.db.delete(key, sync=self.sync)

    def is_empty(self) -> bool:
        with self.db.iterator(include_value=False) as it:
            return next(it, None) is None

    @contextmanager
    def atomic_batch(self) -> Iterator[_LevelWriteBatch]:
        batch = _LevelWriteBatch(self)
        batch._level = self
        try:
            yield batch
        except Exception:
            raise
        else:
            batch._commit()
        finally:
            batch._track_diff = None
            batch._write_target_db = None

    def items_with_prefix(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        """Every (key, value) whose key starts with `prefix`, in key order."""
        with self.db.iterator(prefix=prefix) as it:
            return list(it)

    def close(self) -> None:
        if not self.db.closed:
            self.db.close()


class MemoryDB(AtomicDB):
    """py-evm's in-memory atomic DB (the node without `--data-dir`)."""

    def is_empty(self) -> bool:
        return not len(self.wrapped_db)

    def items_with_prefix(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        """Every (key, value) whose key starts with `prefix`, in key order."""
        store = self.wrapped_db.kv_store
        return sorted((k, v) for k, v in store.items() if k.startswith(prefix))

    def close(self) -> None:
        pass


def open_db(data_dir: Path | None, sync: bool = False) -> LevelDB | MemoryDB:
    if data_dir is None:
        return MemoryDB()
    return LevelDB(Path(data_dir) / "chaindata", sync=sync)


__all__ = ["LevelDB", "MemoryDB", "open_db"]
