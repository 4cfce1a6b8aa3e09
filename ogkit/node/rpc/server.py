"""HTTP transport: JSON-RPC over POST, one thread per connection, keep-alive.

A block that a request automined is sealed right after its response is written, before
anything else is served (see ogkit/chain/locking.py).

Every answer is a JSON-RPC 2.0 error or result, whatever arrives: a bad request line, an
HTTP method other than POST or oversized headers get -32600 with a fitting HTTP status, never
the standard library's HTML page. A body over `MAX_BODY_BYTES` (8 MiB) is refused with HTTP
413 without being read. Connections are capped and idle ones closed (connections.py). CORS
is off unless origins are allowed (`--allow-origin`): the node's dev accounts are unlocked.

Per request the node reads the head in one piece (httpparse.py) and writes the response head
as one string; the accept loop sleeps while idle (serveloop.py).

We stay with the standard library's ThreadingHTTPServer: it is already wired to the chain's
lock and fast enough (bench/RESULTS-node.md), and a maintained stack would bring a dependency
and an asyncio bridge, yet still need these JSON-RPC-shaped refusals written by hand.
"""

from __future__ import annotations

import email.utils
import errno
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ogkit.node.rpc.codec import encode, error_response
from ogkit.node.rpc.connections import Connection, ConnectionTable, ServerLimits
from ogkit.node.rpc.dispatch import Rpc
from ogkit.node.rpc.errors import INTERNAL_ERROR, INVALID_REQUEST, LIMIT_EXCEEDED
from ogkit.node.rpc.httpparse import parse_request
from ogkit.node.rpc.serveloop import QuietServeLoop
from ogkit.node.rpc.websocket import WebSocketSession

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_DISCARD_BYTES = 64 * 1024 * 1024
OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def _error_body(code: int, message: str) -> bytes:
    return encode(error_response(None, code, message))


_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header's value, formatted once a second (the standard library formats it
    per response)."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, email.utils.formatdate(now, usegmt=True))
    return _date[1]


_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ogkit-node"
    sys_version = ""
    server: RpcHTTPServer
    _connection: Connection | None = None

    def setup(self) -> None:
        # A backstop per read; the connection table's sweep enforces the real deadlines.
        self.timeout = self.server.limits.idle_timeout + 5.0
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connection = self.server.connections.get(self.request)

    def handle(self) -> None:
        if self._connection is not None:  # None: closed before its thread started
            super().handle()

    def handle_one_request(self) -> None:
        self.server.connections.waiting(self._connection)
        super().handle_one_request()

    def parse_request(self) -> bool:
        self.server.connections.reading(self._connection)
        return parse_request(self)  # the standard library's, without the email parser

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # the RPC layer logs one line per request

    def _cors_origin(self) -> str | None:
        """The Access-Control-Allow-Origin to send, or None (CORS off, or not this origin)."""
        server = self.server
        if server.cors_any:
            return "*"
        if not server.cors_origins:
            return None
        headers = getattr(self, "headers", None)
        origin = headers.get("Origin") if headers is not None else None
        return origin if origin in server.cors_origins else None

    def _send(self, status: int, body: bytes | None, close: bool = False) -> None:
        """Status line, headers and body in one write: two small writes would meet Nagle's
        algorithm and the client's delayed ACK, a 40 ms stall per request. The head is the
        one `send_response` and `send_header` made, built in one string."""
        if self.request_version == "HTTP/0.9":  # no status line, no headers: the body alone
            self.close_connection = True
            self.wfile.write(body or b"")
            return
        phrase = _PHRASES.get(status, "")
        head = [
            f"{self.protocol_version} {status} {phrase}\r\nServer: {self.version_string()}\r\n"
            f"Date: {_http_date()}\r\nContent-Type: application/json\r\n"
        ]
        if self.server.cors_origins:
            origin = self._cors_origin()
            if origin is not None:
                head.append(f"Access-Control-Allow-Origin: {origin}\r\n")
            if not self.server.cors_any:
                head.append("Vary: Origin\r\n")
        head_only = self.command == "HEAD"
        head.append(f"Content-Length: {0 if head_only else len(body or b'')}\r\n")
        if close:
            head.append("Connection: close\r\n")
            self.close_connection = True
        head.append("\r\n")
        data = "".join(head).encode("latin-1", "strict")
        self.wfile.write(data + body if body and not head_only else data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Whatever the standard library refuses before a do_* method runs (a bad request
        line, an HTTP method we do not serve, oversized headers) is answered in JSON-RPC
        too, not with its HTML page; the message is bounded (it may echo the request line)."""
        if code == HTTPStatus.NOT_IMPLEMENTED:  # an HTTP method without a do_* handler
            code = HTTPStatus.METHOD_NOT_ALLOWED
            message = f"HTTP method {self.command!r} not allowed: JSON-RPC requests must be POSTed"
        if self.request_version == "HTTP/0.9" and self.command != "GET":
            self.request_version = "HTTP/1.1"  # garbage, not an HTTP/0.9 client: answer fully
        try:
            self._send(code, _error_body(INVALID_REQUEST, message or HTTPStatus(code).phrase), True)
        except OSError:
            self.close_connection = True

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
        """A CORS preflight: answered only for an allowed origin (see `--allow-origin`)."""
        origin = self._cors_origin()
        if origin is None:
            if self.server.cors_origins:
                self._send(403, _error_body(INVALID_REQUEST, "origin not allowed"), True)
            else:
                message = "CORS is off: start the node with --allow-origin to allow browsers"
                self._send(405, _error_body(INVALID_REQUEST, message), True)
            return
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", origin)
        if origin != "*":
            self.send_header("Vary", "Origin")
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self._websocket()
            return
        self._send(405, _error_body(INVALID_REQUEST, "JSON-RPC requests must be POSTed"))

    def _websocket(self) -> None:
        """Hand the connection to a websocket session (same port, as anvil); it stays BUSY,
        so the idle sweep leaves it alone, and it counts against the connection cap."""
        self.close_connection = True
        if not self.server.connections.busy(self._connection):
            return
        head = "\r\n".join([self.requestline, *(f"{k}: {v}" for k, v in self.headers.items())])
        self.connection.settimeout(None)
        session = WebSocketSession(
            self.connection, self.server.rpc, self.server.limits.allow_origins
        )
        try:
            session.serve((head + "\r\n\r\n").encode("latin-1"))
        except Exception:  # noqa: BLE001 - one session's failure never reaches the server
            traceback.print_exc(file=sys.stderr)

    def do_POST(self) -> None:  # noqa: N802
        try:
            body = self._read_body()
            if body is None:
                return
            if not self.server.connections.busy(self._connection):
                self.close_connection = True  # closed meanwhile: nobody to answer, do not run
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

    def _read_body(self) -> bytes | None:
        """The request body, or None once an error has been answered (or the client left)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(411, _error_body(INVALID_REQUEST, "chunked bodies are not supported"), True)
            return None
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self._send(411, _error_body(INVALID_REQUEST, "Content-Length required"), True)
            return None
        if length > MAX_BODY_BYTES:
            message = (
                f"request body of {length} bytes exceeds the limit of "
                f"{MAX_BODY_BYTES} bytes (8 MiB)"
            )
            self._send(413, _error_body(INVALID_REQUEST, message), True)
            self._discard(length)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _settle(self) -> None:
        """Seal a block this request automined, now that the answer is on its way (the
        client reads it meanwhile; any other request would seal it first anyway)."""
        try:
            self.server.rpc.node.settle()
        except Exception:  # noqa: BLE001 - the node reports it; the connection goes on
            traceback.print_exc(file=sys.stderr)


class RpcHTTPServer(QuietServeLoop, ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], rpc: Rpc, limits: ServerLimits) -> None:
        self.rpc = rpc
        self.limits = limits
        self.connections = ConnectionTable(limits)
        self.cors_origins = frozenset(limits.allow_origins)
        self.cors_any = "*" in self.cors_origins
        self.serve_thread: threading.Thread | None = None
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, tuple]:
        try:
            return super().get_request()
        except OSError as exc:
            if exc.errno in OUT_OF_DESCRIPTORS:
                # The connection stays in the backlog and the socket stays readable: without
                # a pause the accept loop would spin on the same error.
                time.sleep(0.05)
            raise

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        if self.connections.admit(request) is None:
            self._refuse(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request: socket.socket) -> None:
        """Every slot is answering a request: say so (503, JSON-RPC -32005) and hang up,
        without ever blocking the accept thread."""
        body = _error_body(
            LIMIT_EXCEEDED,
            f"too many connections (limit {self.limits.max_connections}); retry later",
        )
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        try:
            request.setblocking(False)
            request.send(head.encode() + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def shutdown_request(self, request: socket.socket) -> None:
        self.connections.remove(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self.close_wakeup()

    def service_actions(self) -> None:
        self.connections.sweep()

    def handle_error(self, request, client_address) -> None:
        # A client that vanished mid-request is not worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | socket.timeout):
            return
        traceback.print_exc(file=sys.stderr)


def serve(
    rpc: Rpc,
    host: str,
    port: int,
    before_serving: Callable[[RpcHTTPServer], None] | None = None,
    limits: ServerLimits | None = None,
) -> RpcHTTPServer:
    """Bind, call `before_serving` (the port is known, nothing is answered yet), then serve in
    a background thread; returns the server."""
    server = RpcHTTPServer((host, port), rpc, limits or ServerLimits())
    if before_serving is not None:
        before_serving(server)
    thread = threading.Thread(target=server.serve_forever, name="ogkit-http", daemon=True)
    server.serve_thread = thread
    server.will_serve()
    thread.start()
    return server
