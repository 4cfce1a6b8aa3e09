"""The node's accept loop (ogkit/node/rpc/serveloop.py) sleeps while idle, yet answers at
once, sweeps idle connections and stops promptly."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from ogkit.node import Node, NodeConfig, ServerLimits


def _wakeups(thread: threading.Thread) -> int:
    """Times the scheduler has run the thread so far (Linux)."""
    return int(Path(f"/proc/self/task/{thread.native_id}/schedstat").read_text().split()[2])


@pytest.fixture(scope="module")
def node(model_store):
    running = Node(
        NodeConfig(model_store=model_store.root, settlement=False),
        port=0,
        quiet=True,
        limits=ServerLimits(header_timeout=1.0),
    )
    running.start()
    yield running
    running.stop()


def test_an_idle_node_does_not_wake_its_accept_thread(node):
    """The standard library's loop woke every 0.1 s (ten times in a second); this one not
    at all, but for a signal the kernel happens to hand this thread (a child process of an
    earlier test exiting: SIGCHLD), so at most 2."""
    assert len(node.server.connections) == 0
    thread = node.server.serve_thread
    before = _wakeups(thread)
    time.sleep(1.0)
    assert _wakeups(thread) - before <= 2


def test_it_answers_at_once_after_sleeping(node):
    time.sleep(0.3)
    t0 = time.perf_counter()
    reply = requests.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert reply.json() == {"jsonrpc": "2.0", "id": 1, "result": "0x539"}
    assert time.perf_counter() - t0 < 0.5


def test_it_still_sweeps_an_idle_connection(node):
    """A connection that sends nothing is closed after `header_timeout` (1 s here): the
    loop wakes for the sweep while a connection is open."""
    with socket.create_connection(("127.0.0.1", node.port)) as sock:
        sock.settimeout(5.0)
        t0 = time.monotonic()
        assert sock.recv(1) == b""  # closed by the node
        assert 0.9 <= time.monotonic() - t0 < 3.5


def test_shutdown_is_prompt(model_store):
    other = Node(NodeConfig(model_store=model_store.root, settlement=False), port=0, quiet=True)
    other.start()
    thread = other.server.serve_thread
    t0 = time.perf_counter()
    other.stop()
    assert time.perf_counter() - t0 < 1.0
    thread.join(timeout=1.0)
    assert not thread.is_alive()
