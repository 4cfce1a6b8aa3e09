"""The backend's "latest" header (ogkit/chain/backend.py `latest_header`), kept by hash: the
same header eth-tester's "latest" block has, as the head moves (direct path, eth-tester's
path, mining, snapshot reverts), read from the database once per block instead of on every
call (not at all for a block the direct path sealed)."""

from __future__ import annotations

from typing import Any

import pytest
from call_log import calls_of
from eth.db.header import HeaderDB
from eth_tester import PyEVMBackend

from ape_opengradient import direct


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


@pytest.fixture
def reads(monkeypatch) -> list[bytes]:
    """Every header read by hash from the chain database (py-evm's one way there)."""
    return calls_of(monkeypatch, HeaderDB, "_get_block_header_by_hash", static=True)


def eth_testers_latest(backend: Any) -> Any:
    chain = backend.chain
    header = chain.get_canonical_block_header_by_number(chain.header.block_number - 1)
    assert header.hash == PyEVMBackend.get_block_by_number(backend, "latest")["hash"]
    return header


def test_latest_header_is_eth_testers(chain, owner, probe, monkeypatch):
    backend = chain.provider.evm_backend
    snapshot = chain.snapshot()

    def eth_testers_path() -> None:
        with monkeypatch.context() as m:
            m.setattr(direct, "can_send_directly", lambda provider, txn: False)
            probe.set(6, sender=owner)

    steps = (
        lambda: None,
        lambda: probe.set(4, sender=owner),
        lambda: chain.mine(2),
        eth_testers_path,
        lambda: chain.restore(snapshot),
        lambda: probe.set(5, sender=owner, type=0),
    )
    heights = []
    for step in steps:
        step()
        assert backend.latest_header() == eth_testers_latest(backend)
        heights.append(backend.latest_header().block_number)
    assert heights[1:5] == [heights[0] + 1, heights[0] + 3, heights[0] + 4, heights[0]]


def test_read_once_per_block(chain, owner, probe, reads):
    """Before: one database read (and a decode, or a lookup in py-evm's cache of 128
    decoded headers) per call."""
    backend = chain.provider.evm_backend
    probe.set(7, sender=owner)
    reads.clear()
    for _ in range(5):
        backend.latest_header()
    assert reads == []  # the block the direct path just sealed: kept as it was sealed
    chain.mine(1)
    reads.clear()
    for _ in range(5):
        backend.latest_header()
    assert reads == [backend.latest_header().hash]  # a block mined elsewhere: read once


def test_outcome_reads_no_header(chain, owner, probe, reads):
    """The direct path's outcome of a tx (whether it called the console: Ape asks right after
    sending) checks the head with the kept header: no header read; the same answers as the
    head moves on, is reverted to before the tx, and past it."""
    provider = chain.provider
    snapshot = chain.snapshot()
    receipt = probe.logs("x", sender=owner)
    reads.clear()
    assert provider.calls_console(receipt.txn_hash) is True
    assert reads == []
    chain.mine(2)
    assert provider.calls_console(receipt.txn_hash) is True  # still canonical, deeper
    later = chain.snapshot()
    chain.restore(snapshot)
    assert provider.calls_console(receipt.txn_hash) is None  # its block is gone
    chain.mine(3)
    assert provider.calls_console(receipt.txn_hash) is None  # another block at its number
    ids = provider.snapshot_ids  # another block at its number: another block hash
    assert ids.block_of(later) != ids.block_of(chain.snapshot())
