"""The content-addressed model store: CIDs, idempotent adds, aliases, lookups that can't escape."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID

from og_examples.models import UPSTREAM_DEMO_ALIAS
from ogkit.models.cid import cid_for, sha256_of_cid
from ogkit.models.store import (
    CorruptAliases,
    CorruptModel,
    ModelStore,
    StoredModel,
    default_store_dir,
)
from precompiles.host import ModelNotFound


def manual_cid(data: bytes) -> str:
    """CIDv1 by hand: multibase 'b' (base32, lower, unpadded) of
    <version 1><codec raw 0x55><multihash sha2-256 0x12, length 32><digest>."""
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "store")


# --- CIDs -----------------------------------------------------------------------------------------


def check_cid(cid: str, data: bytes) -> None:
    assert cid == manual_cid(data)
    parsed = CID.decode(cid)
    assert parsed.version == 1
    assert parsed.codec.name == "raw"
    assert parsed.hashfun.name == "sha2-256"
    assert parsed.raw_digest == hashlib.sha256(data).digest()
    assert str(parsed.set(base="base32")) == cid
    assert sha256_of_cid(cid) == hashlib.sha256(data).digest()


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_cid_of_any_bytes(data: bytes) -> None:
    check_cid(cid_for(data), data)


def test_cid_of_examples(example_files: dict[str, Path], store: ModelStore) -> None:
    for name, path in example_files.items():
        data = path.read_bytes()
        cid = store.add(path, name)
        check_cid(cid, data)
        assert cid.startswith("bafkrei") and len(cid) == 59


def test_known_cid() -> None:
    # `ipfs add --cid-version 1 --raw-leaves` of the empty file
    assert cid_for(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@pytest.mark.parametrize(
    "not_ours",
    [
        "QmbbzDwqSxZSgkz1EbsNHp2mb67rYeUYHYWJ4wECE24S7A",  # CIDv0
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",  # v1 dag-pb... sha2-256
        "hello",
        "",
        "../aliases.json",
    ],
)
def test_sha256_of_other_ids(not_ours: str) -> None:
    digest = sha256_of_cid(not_ours)
    if not_ours.startswith("bafy"):
        assert digest is not None and len(digest) == 32  # v1 sha2-256, only the codec differs
    else:
        assert digest is None


# --- add, list, read ------------------------------------------------------------------------------


def test_add_stores_the_bytes_under_their_cid(store: ModelStore) -> None:
    cid = store.add(b"model bytes")
    blob = store.root / "blobs" / cid
    assert blob.read_bytes() == b"model bytes"
    assert store.list() == [StoredModel(cid, blob, 11)]
    assert store.read(store.resolve(cid)) == b"model bytes"


def test_add_is_idempotent(store: ModelStore, example_files: dict[str, Path]) -> None:
    path = example_files["volatility"]
    cid = store.add(path)
    blob = store.root / "blobs" / cid
    stat = blob.stat()
    assert store.add(path) == cid
    assert store.add(path.read_bytes()) == cid  # bytes or a path, same thing
    assert (blob.stat().st_mtime_ns, blob.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)
    assert [m.cid for m in store.list()] == [cid]
    assert sorted(p.name for p in (store.root / "blobs").iterdir()) == [cid]  # no temp files


def test_list_is_sorted_with_sizes(store: ModelStore, example_files: dict[str, Path]) -> None:
    cids = {name: store.add(path, name) for name, path in example_files.items()}
    listed = store.list()
    assert [m.cid for m in listed] == sorted(cids.values())
    sizes = {m.cid: m.size_bytes for m in listed}
    assert sizes == {cid: example_files[name].stat().st_size for name, cid in cids.items()}


def test_empty_store(store: ModelStore) -> None:
    assert store.list() == [] and store.aliases() == {}
    with pytest.raises(ModelNotFound):
        store.resolve("anything")


def test_default_store_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OGKIT_MODEL_STORE", str(tmp_path / "elsewhere"))
    assert default_store_dir() == (tmp_path / "elsewhere").resolve()
    assert ModelStore().root == (tmp_path / "elsewhere").resolve()
    monkeypatch.delenv("OGKIT_MODEL_STORE")
    monkeypatch.chdir(tmp_path)
    assert default_store_dir() == (tmp_path / ".ogkit" / "models").resolve()


# --- aliases --------------------------------------------------------------------------------------


def test_aliases(store: ModelStore, example_files: dict[str, Path]) -> None:
    demo = store.add(example_files["upstream_demo"], "upstream_demo", UPSTREAM_DEMO_ALIAS)
    vol = store.add(example_files["volatility"], "volatility")
    assert store.aliases() == {"upstream_demo": demo, UPSTREAM_DEMO_ALIAS: demo, "volatility": vol}
    assert json.loads(store.alias_file.read_text()) == store.aliases()
    for model_id in ("upstream_demo", UPSTREAM_DEMO_ALIAS, demo):
        assert store.resolve(model_id).cid == demo
    # an alias may be re-pointed; names are free-form (a Walrus-style blob id here)
    walrus = "yYzOVL3cQ-8sKV2zTjlMc6-dmD7N0YhK8CI6NqBW-Hs"
    store.alias(walrus, vol)
    store.alias("upstream_demo", vol)
    assert store.resolve("upstream_demo").cid == vol
    assert store.resolve(walrus).cid == vol
    assert store.resolve(UPSTREAM_DEMO_ALIAS).cid == demo


def test_alias_errors(store: ModelStore) -> None:
    cid = store.add(b"x")
    with pytest.raises(ModelNotFound) as exc:
        store.alias("name", cid_for(b"never stored"))
    assert str(exc.value) == f"no stored model with CID {cid_for(b'never stored')}"
    for bad in ("", " name", "name ", "\tname"):
        with pytest.raises(ValueError) as value_error:
            store.alias(bad, cid)
        assert str(value_error.value) == f"invalid alias {bad!r}"
    assert store.aliases() == {}


# --- resolve --------------------------------------------------------------------------------------


def test_resolve_unknown(store: ModelStore) -> None:
    store.add(b"x", "known")
    for model_id in ("unknown", cid_for(b"never stored"), "Known", "known "):
        with pytest.raises(ModelNotFound) as exc:
            store.resolve(model_id)
        assert exc.value.args == (model_id,)


def test_path_traversal_ids_are_not_found(store: ModelStore) -> None:
    cid = store.add(b"model", "m")
    (store.root / "blobs" / "notes").write_bytes(b"not a model")
    for model_id in (
        "../aliases.json",
        "aliases.json",
        f"../blobs/{cid}",
        f"blobs/{cid}",
        f"./{cid}",
        f"{cid}/",
        f"{cid}/..",
        str(store.root / "blobs" / cid),
        "../../../../etc/passwd",
        "notes",
        "..",
        ".",
        cid.upper(),  # the same CID in base32 upper case names no stored file
        "m\0",
    ):
        with pytest.raises(ModelNotFound):
            store.resolve(model_id)
    assert store.resolve(cid).cid == cid


def test_alias_to_a_removed_blob_is_not_found(store: ModelStore) -> None:
    cid = store.add(b"model", "m")
    (store.root / "blobs" / cid).unlink()
    with pytest.raises(ModelNotFound):
        store.resolve("m")


def test_hand_edited_alias_cannot_escape(store: ModelStore) -> None:
    store.add(b"model")
    store.alias_file.write_text(json.dumps({"evil": "../aliases.json", "odd": "notes"}))
    (store.root / "blobs" / "notes").write_bytes(b"x")
    for model_id in ("evil", "odd"):
        with pytest.raises(ModelNotFound):
            store.resolve(model_id)


# --- corruption -----------------------------------------------------------------------------------


def test_corrupted_blob_is_detected_on_read(store: ModelStore) -> None:
    cid = store.add(b"original", "m")
    (store.root / "blobs" / cid).write_bytes(b"tampered")
    stored = store.resolve("m")  # still listed and resolvable...
    with pytest.raises(CorruptModel) as exc:
        store.read(stored)  # ...but its bytes are checked against the CID
    assert str(exc.value) == f"stored model {cid} does not match its hash"


def test_add_repairs_a_damaged_copy(store: ModelStore) -> None:
    cid = store.add(b"original", "m")
    blob = store.root / "blobs" / cid
    blob.write_bytes(b"tampered")
    assert store.verify() == [StoredModel(cid, blob, 8)]
    assert store.add(b"original") == cid
    assert blob.read_bytes() == b"original"
    assert store.verify() == []
    assert store.read(store.resolve("m")) == b"original"


def test_verify_reports_each_damaged_blob(store: ModelStore) -> None:
    good = store.add(b"good")
    bad = sorted([store.add(b"first"), store.add(b"second")])
    for cid in bad:
        (store.root / "blobs" / cid).write_bytes(b"bit rot")
    assert [m.cid for m in store.verify()] == bad
    assert store.intact(store.resolve(good))


# --- remove ---------------------------------------------------------------------------------------


def test_remove_drops_the_blob_and_its_aliases(store: ModelStore) -> None:
    cid = store.add(b"model", "m", "also-m")
    other = store.add(b"other", "o")
    assert store.remove("also-m") == (cid, ["also-m", "m"])
    assert [m.cid for m in store.list()] == [other]
    assert store.aliases() == {"o": other}
    assert store.remove(other) == (other, ["o"])
    assert store.list() == [] and store.aliases() == {}
    with pytest.raises(ModelNotFound):
        store.remove("m")


# --- errors that say what to do -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "suggestion"),
    [
        ("my-modle", "my-model"),
        ("My-Model", "my-model"),
        ("volatilty", "volatility"),
        ("unrelated", None),
        ("", None),
    ],
)
def test_not_found_suggests_the_closest_name(
    store: ModelStore, model_id: str, suggestion: str | None
) -> None:
    store.add(b"a", "my-model")
    store.add(b"b", "volatility")
    with pytest.raises(ModelNotFound) as exc:
        store.resolve(model_id)
    assert exc.value.args == (model_id,)
    assert exc.value.suggestion == suggestion


def test_not_found_completes_a_cid_cut_short(store: ModelStore) -> None:
    cid = store.add(b"a")
    store.add(b"b")
    with pytest.raises(ModelNotFound) as exc:
        store.resolve(cid[:12])
    assert exc.value.suggestion == cid
    assert exc.value.hint() == f" (did you mean '{cid}'?)"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b'{"m": "bafk',
            "is not valid JSON (Unterminated string starting at: line 1 column 7 (char 6))",
        ),
        (b"\xff\xfe", "is not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        (b'["m"]', "is not a JSON object of names to CIDs"),
        (b'{"m": 7}', "is not a JSON object of names to CIDs"),
    ],
)
def test_corrupt_alias_file_is_one_clear_error(
    store: ModelStore, content: bytes, problem: str
) -> None:
    cid = store.add(b"x", "m")
    store.alias_file.write_bytes(content)
    for action in (store.aliases, lambda: store.resolve("m"), lambda: store.alias("n", cid)):
        with pytest.raises(CorruptAliases) as exc:
            action()
        assert str(exc.value) == (
            f"{store.alias_file} {problem}; fix it, or delete it to drop every alias"
        )
