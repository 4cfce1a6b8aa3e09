"""The node's connection table without a node: who is closed at the cap and when the sweep
closes an idle connection (tests/node/test_node_abuse.py drives the real server)."""

from __future__ import annotations

import socket

import pytest

from ogkit.node.rpc import connections
from ogkit.node.rpc.connections import ConnectionTable, ServerLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(connections.time, "monotonic", clock)
    return clock


@pytest.fixture
def pairs():
    made: list[tuple[socket.socket, socket.socket]] = []

    def make() -> tuple[socket.socket, socket.socket]:
        made.append(socket.socketpair())
        return made[-1]

    yield make
    for ours, theirs in made:
        ours.close()
        theirs.close()


def _closed(peer: socket.socket) -> bool:
    peer.settimeout(0.2)
    try:
        return peer.recv(1) == b""
    except TimeoutError:
        return False


def test_at_the_cap_the_longest_idle_makes_room_and_busy_ones_stay(clock, pairs):
    table = ConnectionTable(ServerLimits(max_connections=2))
    (a, a_peer), (b, b_peer), (c, c_peer), (d, _) = (pairs() for _ in range(4))
    first = table.admit(a)
    clock.now += 1
    second = table.admit(b)
    assert table.busy(second)
    clock.now += 1
    assert table.admit(c) is not None  # `a` waited longest and was not busy
    assert _closed(a_peer) and not _closed(b_peer)
    assert not table.busy(first)  # closed: its request must not run
    assert table.busy(table.get(c))
    assert table.admit(d) is None  # both slots answering requests: refused
    assert (table.evicted, table.refused, len(table)) == (1, 1, 2)


def test_the_sweep_closes_silent_slow_and_idle_connections(clock, pairs):
    limits = ServerLimits(header_timeout=10, read_timeout=30, idle_timeout=120)
    table = ConnectionTable(limits)
    (silent, silent_peer), (slow, slow_peer), (kept, kept_peer), (busy, busy_peer) = (
        pairs() for _ in range(4)
    )
    table.admit(silent)
    table.reading(table.admit(slow))
    kept_connection = table.admit(kept)
    assert table.busy(kept_connection)
    table.waiting(kept_connection)  # served once, now keep-alive
    assert table.busy(table.admit(busy))
    clock.now += 11
    table.sweep()
    assert _closed(silent_peer) and not _closed(slow_peer) and not _closed(kept_peer)
    clock.now += 20
    table.sweep()
    assert _closed(slow_peer) and not _closed(kept_peer)
    clock.now += 100
    table.sweep()
    assert _closed(kept_peer) and not _closed(busy_peer)
    assert len(table) == 1
