"""Stand-ins of a misbehaving live RPC for the live-network tests (no tests here): a tiny
JSON-RPC server answering a chain id of its choosing, or no JSON-RPC at all, noting the
headers it receives. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEADERS_SEEN: dict[str, list[dict[str, str]]] = {}
"""The request headers each stand-in server received, by its URL."""


def json_rpc_server(chain_id: int | None) -> Iterator[str]:
    """A server answering every POST with `chain_id` (or, if None, an HTML 404 page)."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            seen.append(dict(self.headers))
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if chain_id is None:
                status, kind = 404, "text/html"
                body = b"<html><body>404 Not Found</body></html>"
            else:
                status, kind = 200, "application/json"
                reply = {"jsonrpc": "2.0", "id": request["id"], "result": hex(chain_id)}
                body = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    HEADERS_SEEN[url] = seen
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
