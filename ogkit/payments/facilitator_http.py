"""The facilitator's HTTP face, as x402's HTTP facilitator client calls it:

    POST /verify     {x402Version, paymentPayload, paymentRequirements[, resource]}
                     -> VerifyResponse {isValid, invalidReason, invalidMessage, payer}
    POST /settle     {x402Version, paymentPayload, paymentRequirements}
                     -> SettleResponse {success, transaction, network, payer, errorReason, ...}
    GET  /supported  -> {kinds, extensions, signers}

For `upto`, /settle's `paymentRequirements.amount` is the charge (<= the signed cap), as x402's
resource servers send it. A refusal is HTTP 200 with `isValid: false` / `success: false` and its
reason; a body that is not such JSON gets 400, an unknown path 404, each with a JSON `error`.
Standard library server, like the node's: no framework to install.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ogkit.payments.facilitator import Facilitator

MAX_BODY_BYTES = 1024 * 1024


class FacilitatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, facilitator: Facilitator, host: str, port: int) -> None:
        self.facilitator = facilitator
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ogkit-facilitator"
    sys_version = ""
    server: FacilitatorServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib's name
        if self.path.rstrip("/") == "/supported":
            self._reply(HTTPStatus.OK, _dump(self.server.facilitator.supported()))
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no GET {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib's name
        route = self.path.rstrip("/")
        if route not in ("/verify", "/settle"):
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no POST {self.path}"})
            return
        body = self._body()
        if body is None:
            return
        facilitator = self.server.facilitator
        payload, requirements = body["paymentPayload"], body["paymentRequirements"]
        if route == "/verify":
            result = facilitator.verify(payload, requirements, body.get("resource"))
        else:
            result = facilitator.settle(payload, requirements)
        self._reply(HTTPStatus.OK, _dump(result))

    def _body(self) -> dict | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "a JSON body of at most 1 MiB"})
            return None
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": f"body is not JSON: {exc}"})
            return None
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), dict) for k in ("paymentPayload", "paymentRequirements")
        ):
            self._reply(
                HTTPStatus.BAD_REQUEST,
                {"error": "expected {x402Version, paymentPayload, paymentRequirements}"},
            )
            return None
        return body

    def _reply(self, status: HTTPStatus, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def _dump(model: Any) -> dict:
    return model.model_dump(by_alias=True, exclude_none=True)


def serve(facilitator: Facilitator, host: str = "127.0.0.1", port: int = 0) -> FacilitatorServer:
    """Bind and serve in a daemon thread; `server.shutdown()` stops it."""
    server = FacilitatorServer(facilitator, host, port)
    threading.Thread(target=server.serve_forever, name="facilitator-http", daemon=True).start()
    return server
