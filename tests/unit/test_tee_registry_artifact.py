"""The genesis TEE registry comes from its committed build unless that build is stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ogkit.chain import tee_registry_artifact, tee_registry_genesis
from ogkit.chain.tee_registry_artifact import ARTIFACT, fingerprint, main, read


def test_the_committed_build_is_what_the_recipe_builds_today():
    """Fails after a contract, the recipe or py-evm changed: run
    `python -m ogkit.chain.tee_registry_artifact` and commit the file."""
    assert main(["--check"]) == 0
    assert read(fingerprint()) == tee_registry_genesis.build()


def test_chains_take_the_committed_build_without_running_constructors(monkeypatch):
    def no_build():
        raise AssertionError("the constructors ran although the committed build is current")

    monkeypatch.setattr(tee_registry_genesis, "build", no_build)
    tee_registry_genesis._built.cache_clear()
    try:
        entries = tee_registry_genesis.tee_registry_genesis()
    finally:
        tee_registry_genesis._built.cache_clear()
    registry = bytes.fromhex(tee_registry_genesis.TEE_REGISTRY_ADDRESS[2:])
    assert entries[registry]["nonce"] == 1 and len(entries[registry]["storage"]) > 0


@pytest.mark.parametrize(
    "content",
    ["", "not json", json.dumps({"fingerprint": "00" * 32, "accounts": []}), "[]"],
)
def test_a_stale_or_broken_file_is_ignored(tmp_path: Path, content: str):
    path = tmp_path / "genesis.json"
    path.write_text(content)
    assert read(fingerprint(), path) is None


def test_any_input_changes_the_fingerprint(tmp_path: Path, monkeypatch):
    before = fingerprint()
    copies = []
    for source in tee_registry_artifact.INPUTS:
        copy = tmp_path / f"{len(copies)}-{source.name}"
        copy.write_bytes(source.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(tee_registry_artifact, "INPUTS", tuple(copies))
    assert fingerprint() == before
    for copy in copies:
        original = copy.read_bytes()
        copy.write_bytes(original + b" ")
        assert fingerprint() != before, copy.name
        copy.write_bytes(original)
    assert ARTIFACT.is_file()
