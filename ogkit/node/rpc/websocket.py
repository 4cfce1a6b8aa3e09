"""JSON-RPC over a websocket on the HTTP port (as anvil and geth serve it), with
`eth_subscribe` for `newHeads`, `logs` and `newPendingTransactions`.

The HTTP handler hands over a connection whose GET asked to upgrade. websockets' sans-I/O
`ServerProtocol` does the handshake (including the Origin check: a browser page may not
open a socket unless `--allow-origin` names it; websockets are not covered by CORS) and the
framing; this module owns the socket. Requests are answered by the same dispatcher as HTTP.
Subscriptions are pushed by one thread per connection that polls the chain every
`POLL_INTERVAL` (like the polling filters, so a revert moves the mark back to the new head).
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from ogkit.chain.hexjson import q
from ogkit.node.rpc import params as p
from ogkit.node.rpc.codec import encode, error_response
from ogkit.node.rpc.errors import INTERNAL_ERROR, InvalidParams, RpcError
from ogkit.node.rpc.formatting import format_block, format_log
from ogkit.node.rpc.params import BlockRef, LogFilter

if TYPE_CHECKING:
    from ogkit.node.rpc.dispatch import Rpc

POLL_INTERVAL = 0.05
MAX_MESSAGE = 8 * 1024 * 1024
"""As for an HTTP body."""
MAX_SUBSCRIPTIONS = 256
"""Per connection."""
MAX_FILTER_ITEMS = 1_000
"""Addresses, or topics over all positions, in one `logs` subscription."""
KINDS = ("newHeads", "logs", "newPendingTransactions")
SUBSCRIPTION_METHODS = ("eth_subscribe", "eth_unsubscribe")


@dataclass
class Subscription:
    kind: str
    last_block: int
    query: LogFilter | None = None


def protocol_for(allow_origins: tuple[str, ...]) -> ServerProtocol:
    """No Origin header (a program) is always fine; a browser's only if allowed."""
    origins = None if "*" in allow_origins else [None, *allow_origins]
    return ServerProtocol(origins=origins, max_size=MAX_MESSAGE)  # type: ignore[arg-type]


class WebSocketSession:
    """One upgraded connection, from the handshake to its close."""

    def __init__(self, sock: socket.socket, rpc: Rpc, allow_origins: tuple[str, ...]) -> None:
        self.sock = sock
        self.rpc = rpc
        self.protocol = protocol_for(allow_origins)
        self.subscriptions: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._closed = threading.Event()

    # ------------------------------------------------------------------ handshake and loop
    def serve(self, request_head: bytes) -> None:
        """Handshake on the request the HTTP server read, then serve frames until closed."""
        self.protocol.receive_data(request_head)
        events = self.protocol.events_received()
        request = events[0] if events and isinstance(events[0], Request) else None
        if request is None:
            return
        response = self.protocol.accept(request)
        self.protocol.send_response(response)
        self._flush()
        if response.status_code != 101:
            return
        pusher = threading.Thread(target=self._push_loop, name="ws-push", daemon=True)
        pusher.start()
        try:
            self._read_loop()
        finally:
            self._closed.set()
            pusher.join(timeout=5)

    def _read_loop(self) -> None:
        while not self._closed.is_set():
            try:
                data = self.sock.recv(65536)
            except (OSError, TimeoutError):
                return
            with self._send_lock:
                if data:
                    self.protocol.receive_data(data)
                else:
                    self.protocol.receive_eof()
                events = self.protocol.events_received()
            for event in events:
                if isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                    self._answer(event.data)
            self._flush()
            if not data or self.protocol.state.name == "CLOSED":
                return

    def _flush(self) -> None:
        with self._send_lock:
            chunks = self.protocol.data_to_send()
        try:
            for chunk in chunks:
                if chunk:
                    self.sock.sendall(chunk)
        except OSError:
            self._closed.set()

    def _send_text(self, payload: bytes) -> None:
        with self._send_lock:
            try:
                self.protocol.send_text(payload)
            except InvalidState:
                self._closed.set()
                return
        self._flush()

    # ------------------------------------------------------------------ requests
    def _answer(self, body: bytes) -> None:
        request = None
        if b"subscribe" in body:  # only then parse here too; the dispatcher parses the rest
            try:
                request = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                request = None
        subscribing = isinstance(request, dict) and request.get("method") in SUBSCRIPTION_METHODS
        if subscribing:
            response: bytes | None = encode(self._subscription_call(request))
        else:
            node = self.rpc.node
            try:
                with node.sealing_after_response():
                    response = self.rpc.handle(body)
            except Exception as exc:  # noqa: BLE001 - a request never ends the session
                traceback.print_exc(file=sys.stderr)
                message = f"internal error: {type(exc).__name__}"
                response = encode(error_response(None, INTERNAL_ERROR, message))
        if response is not None:
            self._send_text(response)
        try:
            self.rpc.node.settle()
        except Exception:  # noqa: BLE001 - the node reports it; the session goes on
            traceback.print_exc(file=sys.stderr)

    def _subscription_call(self, request: dict[str, Any]) -> dict[str, Any]:
        request_id = request.get("id")
        try:
            if request["method"] == "eth_unsubscribe":
                a = p.Args(request.get("params"), "eth_unsubscribe", 1, 1)
                result: Any = self.subscriptions.pop(str(a[0]), None) is not None
            else:
                result = self._subscribe(request.get("params"))
        except RpcError as exc:
            return error_response(request_id, exc.code, exc.message, exc.data)
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def _subscribe(self, params: Any) -> str:
        a = p.Args(params, "eth_subscribe", 1, 2)
        kind = a[0]
        if kind not in KINDS:
            known = ", ".join(KINDS)
            raise InvalidParams(f"unknown subscription {str(kind)[:64]!r}; known: {known}")
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise InvalidParams(f"too many subscriptions (limit {MAX_SUBSCRIPTIONS} a connection)")
        query = None
        if kind == "logs":
            query = p.log_filter(a[1] if a[1] is not None else {})
            size = len(query.addresses or ()) + sum(len(t or ()) for t in query.topics or ())
            if size > MAX_FILTER_ITEMS:
                raise InvalidParams(f"logs filter of {size} items exceeds {MAX_FILTER_ITEMS}")
        elif a[1] is not None:
            raise InvalidParams(f"{kind} takes no filter")
        subscription_id = q(next(self._ids) << 64 | id(self) & 0xFFFFFFFFFFFFFFFF)
        head = self.rpc.node.block_number()
        self.subscriptions[subscription_id] = Subscription(kind, head, query)
        return subscription_id

    # ------------------------------------------------------------------ pushes
    def _push_loop(self) -> None:
        while not self._closed.wait(POLL_INTERVAL):
            if not self.subscriptions:
                continue
            try:
                for message in self._changes():
                    self._send_text(json.dumps(message).encode())
            except Exception:  # noqa: BLE001 - keep serving; the next poll tries again
                traceback.print_exc(file=sys.stderr)

    def _changes(self) -> list[dict[str, Any]]:
        node = self.rpc.node
        out = []
        with node.lock:
            head = node.block_number()
            for subscription_id, sub in list(self.subscriptions.items()):
                since = min(sub.last_block, head)
                for result in self._results(sub, since, head):
                    out.append(
                        {
                            "jsonrpc": "2.0",
                            "method": "eth_subscription",
                            "params": {"subscription": subscription_id, "result": result},
                        }
                    )
                sub.last_block = head
        return out

    def _results(self, sub: Subscription, since: int, head: int) -> list[Any]:
        node = self.rpc.node
        if sub.kind == "newPendingTransactions":
            return ["0x" + h.hex() for h in node.tx_hashes_after(since)]
        if sub.kind == "logs":
            found = node.logs(sub.query or LogFilter(), from_number=since + 1)
            return [format_log(*entry) for entry in found]
        heads = []
        for number in range(since + 1, head + 1):
            found = node.block(BlockRef(number=number))
            if found is not None:
                block = format_block(found[0], False, node.sender_of)
                block.pop("transactions", None)
                block.pop("uncles", None)
                heads.append(block)
        return heads
