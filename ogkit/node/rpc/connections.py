"""The node's open connections: a cap on how many, and deadlines for the idle ones.

One thread serves one connection, so a client that opens connections and sends nothing
would otherwise hold threads and file descriptors until the process runs out of them. Each
connection is in one of three states:

    WAITING   between requests (or before the first): the thread waits for a request line
    READING   a request line arrived; headers and body are being read
    BUSY      the request is being answered

WAITING and READING connections cost the node nothing but a descriptor and may be closed:
at the cap a new connection takes the slot of the one that has waited longest, and a sweep
(once a second, on the accept thread) closes a connection that never sent a request after
`header_timeout`, a keep-alive one after `idle_timeout`, and one stuck sending a request
after `read_timeout`. A BUSY connection is never closed; when every slot is BUSY, a new
connection is answered 503 and closed. Closing is `shutdown()` from the accept thread: the
serving thread's read returns at once and the thread closes its own socket.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from dataclasses import dataclass

WAITING, READING, BUSY = range(3)

SWEEP_INTERVAL = 1.0
FD_RESERVE = 128
"""Descriptors the node needs besides its connections: LevelDB, model files, the log."""


@dataclass(frozen=True)
class ServerLimits:
    """What the HTTP server allows; the defaults are `ogkit node`'s."""

    max_connections: int = 256
    header_timeout: float = 10.0
    """Seconds a new connection may take to send its first request line."""
    idle_timeout: float = 120.0
    """Seconds a keep-alive connection may wait between requests."""
    read_timeout: float = 30.0
    """Seconds to read one request's headers and body once its request line has arrived."""
    allow_origins: tuple[str, ...] = ()
    """Origins a browser may call the node from (CORS); empty: none, `*`: any."""


class Connection:
    """One open connection's state; changed by its thread, read by the sweep."""

    __slots__ = ("sock", "state", "since", "served")

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.state = WAITING
        self.since = now
        self.served = 0


class ConnectionTable:
    """Admits, tracks and closes connections (see the module docstring)."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._open: dict[socket.socket, Connection] = {}
        self._next_sweep = 0.0
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, sock: socket.socket) -> Connection | None:
        """Register a new connection, closing the longest-waiting one if at the cap; None
        when every slot is answering a request (the caller refuses the newcomer)."""
        now = time.monotonic()
        with self._lock:
            if len(self._open) >= self.limits.max_connections:
                idle = [c for c in self._open.values() if c.state != BUSY]
                if not idle:
                    self.refused += 1
                    return None
                self._close(min(idle, key=lambda c: c.since))
                self.evicted += 1
            connection = Connection(sock, now)
            self._open[sock] = connection
            return connection

    def get(self, sock: socket.socket) -> Connection | None:
        return self._open.get(sock)

    def waiting(self, connection: Connection) -> None:
        """The connection's thread now waits for the next request line. A connection not
        served yet has waited since it was accepted, however late its thread starts, so
        "the longest-waiting" follows the order connections came in. (`since` first: the
        sweep must never see the new state with the old time.)"""
        if connection.served:
            connection.since = time.monotonic()
        connection.state = WAITING

    def reading(self, connection: Connection) -> None:
        connection.since = time.monotonic()
        connection.state = READING

    def busy(self, connection: Connection) -> bool:
        """Mark a fully read request as being answered; False if the connection was closed
        meanwhile (its answer could not be delivered, so the request must not run)."""
        with self._lock:
            if self._open.get(connection.sock) is not connection:
                return False
            connection.state = BUSY
            connection.served += 1
            return True

    def remove(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.pop(sock, None)

    def sweep(self) -> None:
        """Close connections past their deadline; cheap to call often (it runs once a
        second at most)."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL
        limits = self.limits
        with self._lock:
            for connection in list(self._open.values()):
                if connection.state == BUSY:
                    continue
                if connection.state == READING:
                    allowed = limits.read_timeout
                elif connection.served:
                    allowed = limits.idle_timeout
                else:
                    allowed = limits.header_timeout
                if now - connection.since > allowed:
                    self._close(connection)

    def _close(self, connection: Connection) -> None:
        """Forget the connection and wake its thread (called with the lock held). The
        descriptor is closed by that thread, never here: it could be reused meanwhile."""
        del self._open[connection.sock]
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone


def ensure_descriptors(max_connections: int) -> str | None:
    """Raise the soft limit on open files so `max_connections` fit, if the hard limit lets
    us; returns a warning when it does not."""
    needed = max_connections + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target >= needed:
        return None
    return (
        f"warning: {max_connections} connections need about {needed} open files, "
        f"but the limit is {target} (raise `ulimit -n` or lower --max-connections)"
    )
