"""The content-addressed model store: files named by CID, plus aliases.

Aliases let an alpha-testnet model id (an IPFS `Qm…` hash, a Walrus blob id) or a human
name point to a stored file, so contracts written for the alpha testnet run unchanged.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ogkit.models.cid import cid_for, sha256, sha256_of_cid
from precompiles.backend import ModelNotFound

DEFAULT_STORE = Path(".ogkit") / "models"


class CorruptModel(RuntimeError):  # noqa: N818 - names the condition
    """A stored file no longer matches the hash its CID commits to."""


@dataclass(frozen=True)
class StoredModel:
    cid: str
    path: Path
    size_bytes: int


def default_store_dir() -> Path:
    """`$OGKIT_MODEL_STORE`, else `.ogkit/models` under the current project."""
    return Path(os.environ.get("OGKIT_MODEL_STORE") or DEFAULT_STORE).resolve()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class ModelStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root).resolve() if root is not None else default_store_dir()
        self.blobs = self.root / "blobs"
        self.alias_file = self.root / "aliases.json"
        self._aliases: tuple[tuple[int, int], dict[str, str]] | None = None

    def add(self, data: bytes | Path, *aliases: str) -> str:
        """Store a model file and return its CID; adding the same bytes again is a no-op."""
        blob = Path(data).read_bytes() if isinstance(data, Path) else data
        cid = cid_for(blob)
        path = self.blobs / cid
        if not path.exists():
            _write_atomic(path, blob)
        for alias in aliases:
            self.alias(alias, cid)
        return cid

    def aliases(self) -> dict[str, str]:
        """The alias table, re-read only when the file changed (every inference resolves)."""
        try:
            stat = self.alias_file.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_mtime_ns, stat.st_size)
        if self._aliases is None or self._aliases[0] != key:
            self._aliases = (key, json.loads(self.alias_file.read_text()))
        return dict(self._aliases[1])

    def alias(self, alias: str, cid: str) -> None:
        """Point `alias` at a stored CID (re-pointing an alias is allowed)."""
        if not alias or alias != alias.strip():
            raise ValueError(f"invalid alias {alias!r}")
        if not (self.blobs / cid).exists():
            raise ModelNotFound(f"no stored model with CID {cid}")
        table = self.aliases()
        table[alias] = cid
        _write_atomic(self.alias_file, json.dumps(table, indent=2, sort_keys=True).encode())

    def list(self) -> list[StoredModel]:
        if not self.blobs.exists():
            return []
        return [
            self._entry(p.name)
            for p in sorted(self.blobs.iterdir())
            if p.is_file() and not p.name.startswith(".")
        ]

    def _entry(self, cid: str) -> StoredModel:
        path = self.blobs / cid
        return StoredModel(cid, path, path.stat().st_size)

    def resolve(self, model_id: str) -> StoredModel:
        """A CID or alias -> the stored file; `ModelNotFound` if neither is known."""
        if self._is_cid(model_id) and (self.blobs / model_id).is_file():
            return self._entry(model_id)
        cid = self.aliases().get(model_id)
        if cid is None or not self._is_cid(cid) or not (self.blobs / cid).is_file():
            raise ModelNotFound(model_id)
        return self._entry(cid)

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def _is_cid(text: str) -> bool:
        """Parsing a CID costs ~80 µs and every inference resolves its model id."""
        return sha256_of_cid(text) is not None

    def read(self, model: StoredModel) -> bytes:
        """The file's bytes, checked against the hash its CID commits to."""
        data = model.path.read_bytes()
        expected = sha256_of_cid(model.cid)
        if expected is None or sha256(data) != expected:
            raise CorruptModel(f"stored model {model.cid} does not match its hash")
        return data
