"""Ape's test isolation on `opengradient:local:test`: restoring one scope never skips the
restore of the scope around it (ape_opengradient/snapshots.py).

Ape keeps the open scopes' snapshot ids in one list and drops the restored id and every
later one; when a module's snapshot and its first test's had the same id (the block hash),
restoring the test dropped the module's, Ape skipped the module's restore, and what the
module did afterwards stayed for every later module (tests/contracts after
test_risk_lending_pool all ran one block and one owner nonce on)."""

from __future__ import annotations


def test_restoring_a_test_keeps_its_modules_snapshot(chain, owner, accounts):
    """Ape's sequence: the module's snapshot, its first test's on the same block, that
    test restored, a module fixture made for a later test transacts, the module restored."""
    height, nonce = chain.blocks.height, owner.nonce
    module = chain.snapshot()
    first_test = chain.snapshot()
    chain.restore(first_test)
    owner.transfer(accounts[1], 1)  # a module fixture first made for the next test
    chain.restore(module)  # before: UnknownSnapshotError (Ape's isolation: skipped)
    assert (chain.blocks.height, owner.nonce) == (height, nonce)


def test_snapshots_of_one_block_have_their_own_ids(chain):
    provider = chain.provider
    first, second = chain.snapshot(), chain.snapshot()
    assert first != second
    latest = provider.evm_backend.latest_header().hash
    assert provider.snapshot_ids.block_of(first) == provider.snapshot_ids.block_of(second) == latest


def test_a_block_hash_still_names_its_block(chain, owner, accounts):
    """Ape's own ids were block hashes: one given to the provider still reverts there."""
    provider = chain.provider
    height, block_hash = chain.blocks.height, provider.evm_backend.latest_header().hash
    owner.transfer(accounts[1], 1)
    provider.restore(block_hash)
    assert (chain.blocks.height, provider.evm_backend.latest_header().hash) == (height, block_hash)
