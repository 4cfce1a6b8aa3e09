"""The AI chain's account database (ogkit/chain/account_db.py) against py-evm's `AccountDB`:
the same state roots and the same stored trie nodes, with and without deletions of absent and
present accounts; on the chain, the same state roots block after block, and no trie walk to
delete the empty coinbase that every plain transaction touches."""

from __future__ import annotations

import pytest
from call_log import calls_of
from eth.db.account import AccountDB
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from trie import HexaryTrie

from ogkit.chain.account_db import AIAccountDB, PresentKeysOnly
from ogkit.chain.fork import AIState

PRESENT = b"\x11" * 20
ABSENT = b"\x22" * 20
OTHER = b"\x33" * 20


def run(account_db_class: type, deletions: tuple[bytes, ...]) -> tuple[bytes, dict]:
    """Two accounts persisted, then `deletions` (and one more balance) persisted: the state
    root and every stored key and value."""
    memory = MemoryDB()
    db = AtomicDB(memory)
    accounts = account_db_class(db)
    accounts.set_balance(PRESENT, 10)
    accounts.set_balance(OTHER, 20)
    accounts.persist()
    for address in deletions:
        accounts.touch_account(address)
        accounts.delete_account(address)
    accounts.set_balance(OTHER, 21)
    accounts.persist()
    return accounts.state_root, dict(memory.kv_store)


@pytest.fixture
def trie_deletes(monkeypatch) -> list[bytes]:
    return calls_of(monkeypatch, HexaryTrie, "delete")


@pytest.mark.parametrize("deletions", [(), (ABSENT,), (PRESENT,), (ABSENT, PRESENT)])
def test_same_root_and_nodes_as_py_evm(deletions):
    assert run(AIAccountDB, deletions) == run(AccountDB, deletions)


def test_absent_deletion_skipped_present_one_kept(trie_deletes):
    run(AIAccountDB, (ABSENT, PRESENT))
    assert len(trie_deletes) == 1  # PRESENT's (hashed key); ABSENT's walk is gone
    trie_deletes.clear()
    run(AccountDB, (ABSENT, PRESENT))
    assert len(trie_deletes) == 2


def test_present_keys_only_passes_sets_and_present_deletes():
    trie = HexaryTrie({})
    view = PresentKeysOnly(trie)
    view[b"k"] = b"v"
    del view[b"absent"]
    assert trie[b"k"] == b"v"
    del view[b"k"]
    assert trie.root_hash == HexaryTrie({}).root_hash


def test_the_chain_uses_it(chain):
    vm = chain.provider.evm_backend.chain.get_vm()
    assert isinstance(vm.state._account_db, AIAccountDB)


@pytest.fixture(scope="module")
def probe(project, owner):
    return owner.deploy(project.DirectProbe)


def test_chain_state_roots_are_py_evms(chain, owner, accounts, probe, project, monkeypatch):
    """The same transactions from the same snapshot (a legacy and an EIP-1559 call, a
    deployment, a revert, value to a new account, a zero-value transfer to an empty one,
    which EIP-161 deletes), with py-evm's `AccountDB` and with ours: equal state roots."""
    backend = chain.provider.evm_backend
    fresh = "0x" + "44" * 20

    def roots() -> list[bytes]:
        out = []
        for action in (
            lambda: probe.set(1, sender=owner, type=0),
            lambda: probe.set(2, sender=owner, type=2),
            lambda: owner.deploy(project.DirectProbe),
            lambda: probe.failString(sender=owner, raise_on_revert=False),
            lambda: owner.transfer(fresh, 5),
            lambda: owner.transfer("0x" + "55" * 20, 0),
        ):
            action()
            out.append(backend.chain.get_canonical_head().state_root)
        return out

    snapshot = chain.snapshot()
    ours = roots()
    chain.restore(snapshot)
    with monkeypatch.context() as m:
        m.setattr(AIState, "account_db_class", AccountDB)
        assert not isinstance(backend.chain.get_vm().state._account_db, AIAccountDB)
        theirs = roots()
    assert ours == theirs
    assert len(set(ours)) == len(ours)


def test_plain_transaction_walks_no_deletion(chain, owner, probe, trie_deletes):
    probe.set(3, sender=owner, type=0)
    probe.set(4, sender=owner, type=2)
    assert trie_deletes == []  # before: one per tx, the empty coinbase (never in the trie)
