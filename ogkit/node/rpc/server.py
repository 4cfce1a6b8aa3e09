"""HTTP transport: JSON-RPC over POST, one thread per connection, keep-alive.

A block that a request automined is sealed right after its response is written, before
anything else is served (see ogkit/chain/locking.py).

Limits: a body over `MAX_BODY_BYTES` (8 MiB) is refused with HTTP 413 and a JSON-RPC error
(-32600) without being read; a connection idle for `IDLE_TIMEOUT` seconds is closed. CORS is
open, so a browser front end on another origin can talk to the node.
"""

from __future__ import annotations

import socket
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ogkit.node.rpc.codec import encode
from ogkit.node.rpc.dispatch import Rpc
from ogkit.node.rpc.errors import INTERNAL_ERROR, INVALID_REQUEST

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_DISCARD_BYTES = 64 * 1024 * 1024
IDLE_TIMEOUT = 120.0


def _error_body(code: int, message: str) -> bytes:
    return encode({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ogkit-node"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: RpcHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # the RPC layer logs one line per request

    def _send(self, status: int, body: bytes | None, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body or b"")))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        # Headers and body in one write: two small writes would meet Nagle's algorithm and
        # the client's delayed ACK, a 40 ms stall per request.
        self._headers_buffer.append(b"\r\n")
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()

    def _discard(self, length: int) -> None:
        """Read (and drop) an oversized body, so a client that sends it all before reading
        gets the 413 instead of a broken pipe. Beyond `MAX_DISCARD_BYTES` just hang up."""
        remaining = min(length, MAX_DISCARD_BYTES)
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        except (OSError, ValueError):
            pass

    def do_OPTIONS(self) -> None:  # noqa: N802 - stdlib naming
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self._send(405, _error_body(INVALID_REQUEST, "JSON-RPC requests must be POSTed"))

    def do_POST(self) -> None:  # noqa: N802
        try:
            length_header = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self._send(
                    411, _error_body(INVALID_REQUEST, "chunked bodies are not supported"), True
                )
                return
            try:
                length = int(length_header) if length_header is not None else -1
            except ValueError:
                length = -1
            if length < 0:
                self._send(411, _error_body(INVALID_REQUEST, "Content-Length required"), True)
                return
            if length > MAX_BODY_BYTES:
                message = (
                    f"request body of {length} bytes exceeds the limit of "
                    f"{MAX_BODY_BYTES} bytes (8 MiB)"
                )
                self._send(413, _error_body(INVALID_REQUEST, message), True)
                self._discard(length)
                return
            body = self.rfile.read(length)
            if len(body) < length:
                self.close_connection = True
                return
            node = self.server.rpc.node
            with node.sealing_after_response():
                response = self.server.rpc.handle(body)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        except Exception as exc:  # noqa: BLE001 - never let a request kill the thread quietly
            traceback.print_exc(file=sys.stderr)
            response = _error_body(INTERNAL_ERROR, f"internal error: {type(exc).__name__}")
        try:
            self._send(200, response)
        except (BrokenPipeError, ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            self._settle()

    def _settle(self) -> None:
        """Seal a block this request automined, now that the answer is on its way (the
        client reads it meanwhile; any other request would seal it first anyway)."""
        try:
            self.server.rpc.node.settle()
        except Exception:  # noqa: BLE001 - the node reports it; the connection goes on
            traceback.print_exc(file=sys.stderr)


class RpcHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], rpc: Rpc) -> None:
        self.rpc = rpc
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # A client that vanished mid-request is not worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | socket.timeout):
            return
        traceback.print_exc(file=sys.stderr)


def serve(
    rpc: Rpc, host: str, port: int, before_serving: Callable[[RpcHTTPServer], None] | None = None
) -> RpcHTTPServer:
    """Bind, call `before_serving` (the port is known, nothing is answered yet), then serve in
    a background thread; returns the server."""
    server = RpcHTTPServer((host, port), rpc)
    if before_serving is not None:
        before_serving(server)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="ogkit-http", daemon=True
    )
    thread.start()
    return server
