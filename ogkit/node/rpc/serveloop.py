"""The HTTP server's accept loop, asleep while there is nothing to do.

`socketserver`'s `serve_forever` wakes every `poll_interval` (the node's was 0.1 s) to see
whether `shutdown()` was asked for: an idle node took ~1 ms of CPU a second, in ten thread
wake-ups, on a machine it shares with the client it is measured against (bench/node.py).
This loop sleeps until a connection arrives, `shutdown()` writes to a wake-up socket, or,
only while connections are open, the connection table's once-a-second sweep is due
(connections.py).
"""

from __future__ import annotations

import selectors
import socket
import threading
from typing import Any

from ogkit.node.rpc.connections import SWEEP_INTERVAL


class QuietServeLoop:
    """A mixin for a `socketserver.BaseServer` with a `connections` table: its
    `serve_forever` and `shutdown`, without the poll. Call `will_serve()` before starting
    the thread that runs `serve_forever`, so a `shutdown()` that comes first still waits
    for that loop to end (it ends at once)."""

    connections: Any

    def _loop_state(self) -> tuple[socket.socket, socket.socket, threading.Event, threading.Event]:
        """(wake-up reader, wake-up writer, stop asked, loop not running)."""
        state = self.__dict__.get("_quiet_loop")
        if state is None:
            wake_r, wake_w = socket.socketpair()
            wake_r.setblocking(False)
            wake_w.setblocking(False)
            idle = threading.Event()
            idle.set()
            state = self.__dict__["_quiet_loop"] = (wake_r, wake_w, threading.Event(), idle)
        return state

    def will_serve(self) -> None:
        self._loop_state()[3].clear()

    def serve_forever(self, poll_interval: float | None = None) -> None:  # noqa: ARG002
        """Serve until `shutdown()`; `poll_interval` is accepted and not needed."""
        wake_r, _, stop, idle = self._loop_state()
        idle.clear()
        try:
            if stop.is_set():
                return  # shut down before it started: the socket may be closed already
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)  # type: ignore[arg-type]
                selector.register(wake_r, selectors.EVENT_READ)
                while not stop.is_set():
                    timeout = SWEEP_INTERVAL if len(self.connections) else None
                    ready = selector.select(timeout)
                    if stop.is_set():
                        break
                    for key, _ in ready:
                        if key.fileobj is wake_r:
                            _drain(wake_r)
                        else:
                            self._handle_request_noblock()  # type: ignore[attr-defined]
                    self.service_actions()  # type: ignore[attr-defined]
        finally:
            idle.set()

    def shutdown(self) -> None:
        """Stop the loop and wait for it to end (from another thread, as socketserver's)."""
        _, wake_w, stop, idle = self._loop_state()
        stop.set()
        try:
            wake_w.send(b"x")
        except OSError:
            pass  # its buffer is full: the loop is awake anyway
        idle.wait()

    def close_wakeup(self) -> None:
        state = self.__dict__.pop("_quiet_loop", None)
        if state is not None:
            state[0].close()
            state[1].close()


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except (BlockingIOError, InterruptedError):
        pass
