"""The content-addressed model store: files named by CID, plus aliases.

Aliases let an alpha-testnet model id (an IPFS `Qm…` hash, a Walrus blob id) or a human
name point to a stored file, so contracts written for the alpha testnet run unchanged.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ogkit.models.cid import cid_for, sha256, sha256_of_cid
from ogkit.project import STORE_SUBDIR, find_project_root, store_dir_for
from precompiles.host import ModelExecutionError, ModelNotFound

DEFAULT_STORE = STORE_SUBDIR


class CorruptModel(RuntimeError):  # noqa: N818 - names the condition
    """A stored file no longer matches the hash its CID commits to."""


class CorruptAliases(ModelExecutionError):  # noqa: N818 - names the condition
    """`aliases.json` is not a JSON object of names to CIDs (hand-edited, half-written).

    A `ModelExecutionError`, so the precompile reverts with this message instead of an
    internal error, and the CLI prints it as one line."""


@dataclass(frozen=True)
class StoredModel:
    cid: str
    path: Path
    size_bytes: int


def default_store_dir() -> Path:
    """`$OGKIT_MODEL_STORE`, else the store of the project the current directory is in (so
    any folder of a project sees one store), else `.ogkit/models` here (`ogkit node` outside
    a project still has a store)."""
    if env := os.environ.get("OGKIT_MODEL_STORE"):
        return Path(env).resolve()
    root = find_project_root()
    return store_dir_for(root) if root is not None else DEFAULT_STORE.resolve()


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
        """Store a model file and return its CID; adding the same bytes again is a no-op,
        except that it repairs a stored copy whose bytes no longer match the CID."""
        blob = Path(data).read_bytes() if isinstance(data, Path) else data
        cid = cid_for(blob)
        path = self.blobs / cid
        if not path.exists() or not self.intact(self._entry(cid)):
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
            self._aliases = (key, self._read_aliases())
        return dict(self._aliases[1])

    def _read_aliases(self) -> dict[str, str]:
        try:
            table = json.loads(self.alias_file.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptAliases(
                f"{self.alias_file} is not valid JSON ({exc}); fix it, or delete it to drop "
                "every alias"
            ) from None
        if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()
        ):
            raise CorruptAliases(
                f"{self.alias_file} is not a JSON object of names to CIDs; fix it, or delete "
                "it to drop every alias"
            )
        return table

    def alias(self, alias: str, cid: str) -> None:
        """Point `alias` at a stored CID (re-pointing an alias is allowed)."""
        if not alias or alias != alias.strip():
            raise ValueError(f"invalid alias {alias!r}")
        if not (self.blobs / cid).exists():
            raise ModelNotFound(f"no stored model with CID {cid}")
        table = self.aliases()
        table[alias] = cid
        self._write_aliases(table)

    def _write_aliases(self, table: dict[str, str]) -> None:
        _write_atomic(self.alias_file, json.dumps(table, indent=2, sort_keys=True).encode())

    def aliases_of(self, cid: str) -> list[str]:
        """The names that point at `cid`, sorted."""
        return sorted(name for name, target in self.aliases().items() if target == cid)

    def remove(self, model_id: str) -> tuple[str, list[str]]:
        """Delete a stored model and the aliases that point at it; returns (CID, aliases)."""
        cid = self.resolve(model_id).cid
        dropped = self.aliases_of(cid)
        if dropped:
            self._write_aliases({k: v for k, v in self.aliases().items() if v != cid})
        (self.blobs / cid).unlink()
        (self.root / "manifests" / f"{cid}.json").unlink(missing_ok=True)
        return cid, dropped

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
            raise ModelNotFound(model_id, suggestion=self._closest(model_id))
        return self._entry(cid)

    def _closest(self, model_id: str) -> str | None:
        """The known name (alias or CID) most like `model_id`, if one is close."""
        known = [*self.aliases(), *(m.cid for m in self.list())]
        prefixed = [name for name in known if model_id and name.startswith(model_id)]
        if len(prefixed) == 1:  # a CID cut short
            return prefixed[0]
        matches = difflib.get_close_matches(model_id, known, n=1)
        return matches[0] if matches else None

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def _is_cid(text: str) -> bool:
        """Parsing a CID costs ~80 µs and every inference resolves its model id."""
        return sha256_of_cid(text) is not None

    def intact(self, model: StoredModel) -> bool:
        """Do the stored bytes still hash to what the CID commits to? Streams the file, so
        checking a large LLM does not hold it in memory."""
        expected = sha256_of_cid(model.cid)
        with model.path.open("rb") as handle:
            return expected == hashlib.file_digest(handle, "sha256").digest()

    def verify(self) -> list[StoredModel]:
        """Re-hash every stored file; returns the ones that no longer match their CID."""
        return [model for model in self.list() if not self.intact(model)]

    def read(self, model: StoredModel) -> bytes:
        """The file's bytes, checked against the hash its CID commits to."""
        data = model.path.read_bytes()
        expected = sha256_of_cid(model.cid)
        if expected is None or sha256(data) != expected:
            raise CorruptModel(f"stored model {model.cid} does not match its hash")
        return data
