"""`ogkit gateway`: an OpenAI-compatible HTTPS server whose every answer the enclave signs.

    POST /v1/chat/completions   (stream: true → server-sent events)
    POST /v1/completions
    GET  /v1/models
    GET  /v1/settlements/{job id}   (X-Settlement-Job-ID: how far that answer settled)
    GET  /v1/settlements?tee_signature=B64   (the same, found by the answer's signature: what
                                              OpenGradient's SDK keeps instead of a job id)
    GET  /signing-key               (the enclave's RSA key, PEM, and its tee_id)
    GET  /enclave/attestation?nonce=HEX   (a fresh Nitro-format document, base64, as
                                           nitriding serves it)

Stdlib `ThreadingHTTPServer`; TLS with the enclave's own certificate (the one the TEE
registry stores, which OpenGradient's SDK pins), or plain HTTP for development. A request
goes: size check → parse (400) → model (404) → payment gate (`PaymentGate`: e.g. 402) →
a generation slot (429 when all are busy) → generate within the wall-clock budget → sign
(`ResponseSigner`) → settle the payment → keep the record (only if paid) → answer with the
TEE fields and the `X-Settlement-*` headers. A client that cuts a stream stops its
generation between tokens; nothing is signed or recorded for it, and the gate settles only
the delivered tokens.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ogkit.gateway import responses
from ogkit.gateway.generation import GatewayModels, GenerationError
from ogkit.gateway.job import Job, Slot
from ogkit.gateway.lookup import BadSignature, signature_bytes
from ogkit.gateway.payment import FreeGate, GateResponse, PaidRequest, PaymentGate, release
from ogkit.gateway.requests import (
    BadRequest,
    GatewayLimits,
    GatewayRequest,
    parse_body,
    parse_request,
)
from ogkit.gateway.signing import GatewayRecord, ResponseSigner
from precompiles.host import ModelExecutionError

log = logging.getLogger("ogkit.gateway")
ROUTES = {"/v1/chat/completions": "chat", "/v1/completions": "completion"}
SETTLEMENTS = "/v1/settlements/"


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        models: GatewayModels,
        signer: ResponseSigner,
        *,
        gate: PaymentGate | None = None,
        limits: GatewayLimits | None = None,
        tls: bool = True,
    ) -> None:
        super().__init__(address, _Handler)
        self.models = models
        self.signer = signer
        self.gate = gate or FreeGate()
        self.limits = limits or GatewayLimits()
        self.slots = threading.BoundedSemaphore(self.limits.max_concurrent)
        self.connections = threading.BoundedSemaphore(self.limits.max_connections)
        self.tls = tls
        if tls:
            context = _tls_context(signer)
            self.socket = context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, up to `max_connections`; past that the connection is
        closed at once (before any TLS handshake), so idle sockets cannot exhaust threads."""
        if not self.connections.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> GatewayServer:
        """Serve in a daemon thread (tests, `ogkit node`-style embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, name="ogkit-gateway")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _tls_context(signer: ResponseSigner) -> ssl.SSLContext:
    """A server context with the enclave's certificate and key (written to a private
    temporary directory only for as long as `load_cert_chain` reads them)."""
    enclave = signer.enclave.get()
    certificate = x509.load_der_x509_certificate(enclave.tls_certificate_der)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key.touch(mode=0o600)
        key.write_bytes(enclave.tls_private_key_pem())
        context.load_cert_chain(cert, key)
    return context


class _Handler(BaseHTTPRequestHandler):
    server: GatewayServer
    server_version = "ogkit-gateway/1"
    protocol_version = "HTTP/1.1"  # keep-alive: a client's next request skips the handshake
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK

    def setup(self) -> None:
        self.timeout = self.server.limits.read_seconds  # a slow client is dropped
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        log.debug("%s " + format, self.address_string(), *args)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (OSError, ssl.SSLError):  # a handshake or read that failed or timed out
            self.close_connection = True

    # --- routes -------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/models":
            body = responses.models_body(self.server.models.listed(), int(time.time()))
            return self._json(200, body)
        if path == SETTLEMENTS.rstrip("/"):
            return self._settlement_by_signature()
        if path.startswith(SETTLEMENTS):
            record = self.server.signer.book.get(path[len(SETTLEMENTS) :])
            if isinstance(record, GatewayRecord):
                return self._json(200, responses.settlement_body(record))
            return self._error(404, "no answer of this gateway has that job id", code="not_found")
        if path in ("/signing-key", "/enclave/attestation"):
            return self._enclave(path)
        self._error(404, f"no route GET {self.path}", code="not_found")

    def _settlement_by_signature(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        given = query.get("tee_signature")
        if not given or len(given) != 1:
            message = "give the answer's signature: /v1/settlements?tee_signature=BASE64"
            return self._error(400, message, "tee_signature")
        try:
            signature = signature_bytes(given[0])
        except BadSignature as exc:
            return self._error(400, str(exc), "tee_signature")
        record = self.server.signer.by_signature(signature)
        if record is None:
            message = "no answer of this gateway carries that signature (or it is not paid yet)"
            return self._error(404, message, code="not_found")
        self._json(200, responses.settlement_body(record))

    def _enclave(self, path: str) -> None:
        enclave = self.server.signer.enclave.get()
        if path == "/signing-key":
            key = {"public_key": enclave.signing_public_key_pem.decode(), "tee_id": ""}
            key["tee_id"] = "0x" + enclave.tee_id.hex()
            return self._json(200, key)
        query = parse_qs(urlsplit(self.path).query).get("nonce", [""])[0]
        try:
            nonce = bytes.fromhex(query)
        except ValueError:
            nonce = b""
        if not 1 <= len(nonce) <= 64:
            return self._error(400, "nonce must be 1 to 64 bytes of hex", "nonce")
        document = base64.b64encode(enclave.attestation_document(nonce=nonce))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(document)))
        self.end_headers()
        self.wfile.write(document)

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        kind = ROUTES.get(path)
        if kind is None:
            self.close_connection = True  # its body is unread
            return self._error(404, f"no route POST {self.path}", code="not_found")
        try:
            request = self._request(kind)
            spec = self.server.models.resolve(request.model)
        except BadRequest as exc:
            return self._error(exc.status, str(exc), exc.param)
        except GenerationError as exc:
            return self._error(exc.status, str(exc), "model", exc.code)
        paid = PaidRequest(
            "POST", path, self._url(path), {k.lower(): v for k, v in self.headers.items()}, request
        )
        admission = self.server.gate.admit(paid)
        if not admission.admitted:
            assert admission.response is not None
            return self._gate_response(admission.response)
        if not self.server.slots.acquire(blocking=False):
            release(self.server.gate, admission)  # not served: the payment is not used
            return self._error(429, "the gateway is busy: retry shortly", code="busy")
        slot = Slot(self.server.slots)
        try:
            generation = self.server.models.start(
                spec, request, self.server.limits.generation_seconds
            )
            job = Job(self, request, spec, paid, admission, generation, slot)
            job.stream() if request.stream else job.answer()
        except GenerationError as exc:
            release(self.server.gate, admission)
            self._error(exc.status, str(exc), None, exc.code)
        except ModelExecutionError as exc:
            release(self.server.gate, admission)
            self._error(500, str(exc), code="model_error")
        finally:
            slot.release()

    # --- helpers ------------------------------------------------------------------

    def _request(self, kind: str) -> GatewayRequest:
        limits = self.server.limits
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True  # where its body ends is unknown
            raise BadRequest("a Content-Length header is required", status=411)
        if int(length) > limits.max_body_bytes:
            self.close_connection = True
            raise BadRequest(f"the body exceeds {limits.max_body_bytes} bytes", status=413)
        body = parse_body(self.rfile.read(int(length)))
        return parse_request(kind, body, self.headers.get("X-SETTLEMENT-TYPE"), limits)

    def _url(self, path: str) -> str:
        scheme = "https" if self.server.tls else "http"
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"{scheme}://{host}{path}"

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self, status: int, message: str, param: str | None = None, code: str | None = None
    ) -> None:
        self._json(status, responses.error_body(status, message, param, code))

    def _gate_response(self, response: GateResponse) -> None:
        self._json(response.status, response.body or {}, response.headers)
