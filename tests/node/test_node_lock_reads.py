"""Reads that do not queue behind a long call (ogkit/chain/locking.py `reads_only`,
ogkit/node/chain/blocks.py `read_state`, `block_number`), on a NodeChain in-process.

A read of the latest state runs without the lock only while its holder is a call (which
changes nothing reads see), and counts only if no thread took the lock meanwhile; else it
is read again with the lock. The head's number is read without the lock while any other
thread holds it, unless an answered transaction's block is still being sealed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ogkit.node.chain import NodeChain, NodeConfig
from ogkit.node.rpc.params import BlockRef

LATEST = BlockRef(tag="latest")
ACCOUNT = b"\x44" * 20


@pytest.fixture(scope="module")
def chain() -> Iterator[NodeChain]:
    node = NodeChain(NodeConfig(settlement=False))
    node.set_balance(ACCOUNT, 7)
    yield node
    node.close()


@contextmanager
def held(chain: NodeChain, reads_only: bool) -> Iterator[threading.Event]:
    """Another thread holds the lock (as a call does, if `reads_only`) until the event."""
    taken, release = threading.Event(), threading.Event()

    def holder() -> None:
        with chain.lock:
            if reads_only:
                with chain.lock.reads_only():
                    taken.set()
                    release.wait(30)
            else:
                taken.set()
                release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert taken.wait(30)
    try:
        yield release
    finally:
        release.set()
        thread.join()


def test_a_latest_read_runs_while_a_call_holds_the_lock(chain: NodeChain) -> None:
    seen = []
    with held(chain, reads_only=True) as release:
        balance = chain.blocks.read_state(
            LATEST, lambda state: seen.append(release.is_set()) or state.get_balance(ACCOUNT)
        )
    assert (balance, seen) == (7, [False])  # read once, the call still running
    assert chain.balance_of(ACCOUNT, LATEST) == 7


def test_a_read_is_done_again_with_the_lock_if_the_lock_changed_hands(chain: NodeChain) -> None:
    seen = []

    def read(state) -> int:  # noqa: ANN001 - py-evm's state
        seen.append(release.is_set())
        if len(seen) == 1:
            chain.lock.generation += 1  # as if another thread took the lock meanwhile
            release.set()  # and the call ends: the read again waits for it
        return state.get_balance(ACCOUNT) + len(seen)

    with held(chain, reads_only=True) as release:
        value = chain.blocks.read_state(LATEST, read)
    assert (value, seen) == (7 + 2, [False, True])


def test_reads_wait_for_a_holder_that_changes_the_chain(chain: NodeChain) -> None:
    seen = []

    def read(state) -> int:  # noqa: ANN001 - py-evm's state
        seen.append(release.is_set())
        return state.get_balance(ACCOUNT)

    with held(chain, reads_only=False) as release:
        threading.Timer(0.2, release.set).start()
        assert chain.blocks.read_state(LATEST, read) == 7
    assert seen == [True]  # only once the holder had let go
    # an older block's state is never read without the lock, whoever holds it
    seen.clear()
    with held(chain, reads_only=True) as release:
        threading.Timer(0.2, release.set).start()
        assert chain.blocks.read_state(BlockRef(number=0), read) == 0
    assert seen == [True]


def test_the_block_number_is_read_while_anyone_holds_the_lock(chain: NodeChain) -> None:
    number = chain.block_number()
    with held(chain, reads_only=False) as release:
        assert chain.block_number() == number
        assert not release.is_set()
        chain.miner._settling = True  # a block owed to an answered transaction: wait for it
        try:
            threading.Timer(0.2, release.set).start()
            assert chain.block_number() == number
            assert release.is_set()
        finally:
            chain.miner._settling = False


def test_the_lock_counts_who_waits_for_it(chain: NodeChain) -> None:
    """What `evm_mine` waits on between its slices of blocks."""
    lock = chain.lock
    assert lock.waiting == 0
    with held(chain, reads_only=False) as release:
        entered = threading.Event()

        def waiter() -> None:
            with lock:
                entered.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        for _ in range(300):
            if lock.waiting == 1:
                break
            time.sleep(0.01)
        assert (lock.waiting, entered.is_set()) == (1, False)
        release.set()
        thread.join()
    assert (lock.waiting, entered.is_set()) == (0, True)
