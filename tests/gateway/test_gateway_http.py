"""`ogkit gateway` over plain HTTP (and once over its pinned TLS): the OpenAI shapes, the SSE
stream as OpenGradient's SDK parses it, the TEE fields and the record each answer leaves,
malformed requests, the limits, the payment seam and a stream the client cuts."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import time

import pytest
from gateway_support import CHAT, call, serve, sse_events

from ogkit.gateway import GatewayLimits, GatewayModels, GatewayRecord
from ogkit.gateway.payment import Admission, Delivered, GateResponse, GateSettlement
from ogkit.inference.records import SettlementState
from ogkit.llm import canonical
from ogkit.tee.attestation import verify_attestation, verify_result_signature

HELLO = [{"role": "user", "content": "Hello!"}]
HELLO_REPLY = "Hello! How can I help you today?"


@pytest.fixture(scope="module")
def gateway(inference_node):
    server = serve(inference_node, tls=False)
    yield server
    server.stop()


def _verifies(node, body, canonical_request, content):
    request_hash = canonical.request_hash(canonical_request)
    output_hash = canonical.output_hash(content)
    assert body["tee_request_hash"] == request_hash.hex()
    assert body["tee_output_hash"] == output_hash.hex()
    assert body["tee_id"] == "0x" + node.enclave.tee_id.hex()
    check = verify_result_signature(
        node.enclave.signing_public_key_der,
        request_hash,
        output_hash,
        body["tee_timestamp"],
        base64.b64decode(body["tee_signature"]),
    )
    assert check.valid, check.reason


def test_chat_answer_signature_and_record(gateway, inference_node):
    request = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40, "seed": 3}
    status, headers, body = call(gateway, CHAT, request)
    assert status == 200
    job = headers["x-settlement-job-id"]
    assert len(job) == 64 and int(job, 16) >= 0
    assert (headers["x-settlement-type"], headers["x-settlement-status"]) == ("batch", "queued")
    assert body["id"] == f"chatcmpl-{job}" and body["object"] == "chat.completion"
    assert body["model"] == "tiny-llm"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": HELLO_REPLY},
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 7, "completion_tokens": 16, "total_tokens": 23}
    _verifies(inference_node, body, canonical.chat_canonical(request), HELLO_REPLY)

    record = inference_node.book.get(job)
    assert isinstance(record, GatewayRecord)
    assert record.state is SettlementState.PENDING and record.settlement_type == "batch"
    assert record.endpoint == CHAT and record.backend == "onnx" and record.model_id == "tiny-llm"
    assert record.input_hash.hex() == body["tee_request_hash"]
    assert record.tee_signature.signature == base64.b64decode(body["tee_signature"])


def test_completion_answers_at_the_top_level_and_in_choices(gateway, inference_node):
    request = {"model": "tiny-llm", "prompt": "The quick brown fox", "max_tokens": 40}
    status, headers, body = call(gateway, "/v1/completions", request)
    assert status == 200 and body["object"] == "text_completion"
    assert body["completion"] == body["choices"][0]["text"] == " jumps over the lazy dog."
    assert body["choices"][0]["finish_reason"] == "stop"
    _verifies(inference_node, body, canonical.completion_canonical(request), body["completion"])
    assert inference_node.book.get(headers["x-settlement-job-id"]).endpoint == "/v1/completions"


def test_stream_is_what_the_sdk_parses(gateway, inference_node):
    request = {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40, "stream": True}
    status, headers, text = call(gateway, CHAT, request)
    assert status == 200 and headers["content-type"] == "text/event-stream"
    events = sse_events(text)
    *content, final = events
    # content chunks: no finish_reason, no usage (the SDK would take either as final)
    assert all(e["choices"][0]["finish_reason"] is None and "usage" not in e for e in content)
    assert content[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    streamed = "".join(e["choices"][0]["delta"].get("content", "") for e in content)
    assert streamed == HELLO_REPLY and len(content) > 3
    assert final["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert final["usage"]["completion_tokens"] == 16
    _verifies(inference_node, final, canonical.chat_canonical(request), streamed)
    assert {e["id"] for e in events} == {f"chatcmpl-{headers['x-settlement-job-id']}"}


def test_models_lists_the_stores_llms(gateway, model_store):
    """Every alias of an LLM bundle (the session's store: tiny-llm, and any alias another
    test module gave it), sorted; no ONNX model of the examples."""
    status, _, body = call(gateway, "/v1/models", method="GET")
    assert status == 200 and body["object"] == "list"
    tiny = model_store.resolve("tiny-llm").cid
    llm_aliases = sorted(a for a, cid in model_store.aliases().items() if cid == tiny)
    assert [m["id"] for m in body["data"]] == llm_aliases
    assert "tiny-llm" in llm_aliases and "credit_risk" not in llm_aliases


def test_signing_key_and_a_fresh_attestation(gateway, inference_node):
    enclave = inference_node.enclave
    status, _, key = call(gateway, "/signing-key", method="GET")
    assert (status, key) == (
        200,
        {
            "public_key": enclave.signing_public_key_pem.decode(),
            "tee_id": "0x" + enclave.tee_id.hex(),
        },
    )
    nonce = bytes(range(20))
    status, _, text = call(gateway, f"/enclave/attestation?nonce={nonce.hex()}", method="GET")
    report = verify_attestation(
        base64.b64decode(text),
        enclave.signing_public_key_der,
        enclave.tls_certificate_der,
        expected_nonce=nonce,
        expected_pcr_hash=enclave.pcr_hash,
    )
    assert status == 200 and report.valid, report.reason
    status, _, body = call(gateway, "/enclave/attestation?nonce=zz", method="GET")
    assert (status, body["error"]["param"]) == (400, "nonce")


def test_private_settlement_is_recorded_as_needing_none(gateway, inference_node):
    headers = {"X-SETTLEMENT-TYPE": "private"}
    status, fields, _ = call(gateway, CHAT, {"model": "tiny-llm", "messages": HELLO}, headers)
    assert status == 200 and fields["x-settlement-status"] == "not-required"
    record = inference_node.book.get(fields["x-settlement-job-id"])
    assert record.state is SettlementState.NOT_REQUIRED and record.settlement_type == "private"


BAD = [
    ({"model": "tiny-llm", "messages": "hi"}, "the request is missing 'messages'", None),
    ({"messages": HELLO}, "the request is missing a 'model'", None),
    ({"model": "tiny-llm", "messages": [{"role": "robot"}]}, "unknown message role: 'robot'", None),
    (
        {"model": "tiny-llm", "messages": HELLO, "max_tokens": 0},
        "'max_tokens' must be a positive integer",
        "max_tokens",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "max_tokens": 5000},
        "'max_tokens' may be at most 1024",
        "max_tokens",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "temperature": 3},
        "'temperature' must be between 0 and 2",
        "temperature",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "stop": ["a", "b", "c", "d", "e"]},
        "'stop' may hold at most 4 sequences",
        "stop",
    ),
    (
        {"model": "tiny-llm", "messages": HELLO, "stream": "yes"},
        "'stream' must be true or false",
        "stream",
    ),
    (
        {"model": "tiny-llm", "messages": [{"role": "user", "content": [{"type": "image"}]}]},
        "content must be a string or a list of text parts",
        "messages[0].content",
    ),
]


@pytest.mark.parametrize(("request_body", "message", "param"), BAD)
def test_malformed_chat_is_a_400(gateway, inference_node, request_body, message, param):
    before = len(inference_node.book)
    status, _, body = call(gateway, CHAT, request_body)
    assert (status, body) == (
        400,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": None,
            }
        },
    )
    assert len(inference_node.book) == before  # nothing ran, nothing recorded


def test_other_refusals(gateway):
    assert call(gateway, CHAT, raw=b"{not json")[2]["error"]["message"] == (
        "the body is not valid JSON"
    )
    status, _, body = call(gateway, CHAT, {"model": "nope", "messages": HELLO})
    assert (status, body["error"]["code"]) == (404, "model_not_found")
    status, _, body = call(
        gateway, CHAT, {"model": "tiny-llm", "messages": HELLO}, {"X-SETTLEMENT-TYPE": "later"}
    )
    assert (status, body["error"]["param"]) == (400, "X-SETTLEMENT-TYPE")
    status, _, body = call(
        gateway, "/v1/completions", {"model": "tiny-llm", "prompt": "x", "stream": True}
    )
    assert (status, body["error"]["message"]) == (
        400,
        "streaming is served on /v1/chat/completions only",
    )
    assert call(gateway, "/v1/embeddings", {})[0] == 404
    status, _, body = call(
        gateway, "/v1/completions", {"model": "tiny-llm", "prompt": "word " * 2000}
    )
    assert (
        status == 400 and "exceeds the model's context of 2048 tokens" in body["error"]["message"]
    )


def _raw(server, head: bytes) -> bytes:
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
        return reply


def test_body_size_and_length_are_bounded(gateway):
    """Refused from the headers alone: the body is never read."""
    reply = _raw(gateway, b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413")
    assert b'"message": "the body exceeds 1048576 bytes"' in reply
    reply = _raw(gateway, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 411")


def test_generations_are_bounded_in_number_and_wall_clock(inference_node):
    server = serve(inference_node, tls=False, limits=GatewayLimits(max_concurrent=1))
    try:
        assert server.slots.acquire(blocking=False)  # one generation in flight
        status, _, body = call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})
        assert (status, body["error"]["type"]) == (429, "rate_limit_error")
        server.slots.release()
        assert call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})[0] == 200
    finally:
        server.stop()
    server = serve(inference_node, tls=False, limits=GatewayLimits(generation_seconds=0))
    try:
        status, _, body = call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})
        assert status == 200 and body["choices"][0]["finish_reason"] == "length"
        assert body["choices"][0]["message"]["content"] == ""
        assert body["usage"]["completion_tokens"] == 0
    finally:
        server.stop()


def test_a_slot_is_free_again_before_the_answer_arrives(inference_node):
    """Back-to-back requests of one client never see 429: the slot is released when the
    generation ends, before the answer is written (it was released after, a race that
    refused the next request on a loaded machine)."""
    server = serve(inference_node, tls=False, limits=GatewayLimits(max_concurrent=1))
    try:
        for stream in (False, True) * 10:
            request = {"model": "tiny-llm", "messages": HELLO, "stream": stream}
            assert call(server, CHAT, request)[0] == 200
            assert server.slots.acquire(blocking=False)  # free the moment the answer is read
            server.slots.release()
    finally:
        server.stop()


def test_keep_alive_serves_several_requests_on_one_connection(gateway):
    host, port = gateway.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    body = json.dumps({"model": "tiny-llm", "messages": HELLO})
    for _ in range(3):
        connection.request("POST", CHAT, body, {"Content-Type": "application/json"})
        reply = connection.getresponse()
        assert reply.status == 200 and json.loads(reply.read())["choices"]
    first = connection.sock
    connection.request("GET", "/v1/models")
    assert connection.getresponse().read() and connection.sock is first
    connection.close()


def test_connections_are_bounded(inference_node):
    server = serve(inference_node, tls=False, limits=GatewayLimits(max_connections=1))
    try:
        host, port = server.server_address[:2]
        with socket.create_connection((host, port), timeout=10) as idle:
            time.sleep(0.2)  # the idle connection holds the one thread
            with socket.create_connection((host, port), timeout=10) as extra:
                assert extra.recv(100) == b""  # closed at once, before it said anything
            idle.sendall(b"GET /v1/models HTTP/1.0\r\n\r\n")
            assert idle.recv(100).startswith(b"HTTP/1.1 200")
        time.sleep(0.2)
        assert call(server, "/v1/models", method="GET")[0] == 200  # the slot came back
    finally:
        server.stop()


def test_tls_serves_the_certificate_the_registry_would_pin(inference_node):
    server = serve(inference_node)
    try:
        der = inference_node.enclave.tls_certificate_der
        context = ssl.create_default_context(cadata=der)  # as the SDK pins it
        context.check_hostname = False
        host, port = server.server_address[:2]
        connection = http.client.HTTPSConnection(host, port, context=context, timeout=30)
        connection.request("GET", "/v1/models")
        assert connection.sock.getpeercert(binary_form=True) == der
        assert connection.getresponse().status == 200
        connection.close()
        assert server.url == f"https://127.0.0.1:{port}"
    finally:
        server.stop()


class RecordingGate:
    """A `PaymentGate` that refuses requests without `X-Pay`, and notes what it settles."""

    def __init__(self) -> None:
        self.settled: list[Delivered] = []

    def admit(self, request):
        if request.get_header("X-Pay") is None:
            return Admission(GateResponse(402, {"PAYMENT-REQUIRED": "e30="}, {"error": "pay"}))
        return Admission(ticket="paid")

    def settle(self, request, admission, delivered):
        assert admission.ticket == "paid"
        self.settled.append(delivered)
        return GateSettlement(True, {"PAYMENT-RESPONSE": "ok"})


def test_the_payment_gate_refuses_before_anything_runs(inference_node):
    gate = RecordingGate()
    server = serve(inference_node, tls=False, gate=gate)
    try:
        before = len(inference_node.book)
        status, headers, body = call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})
        assert (status, headers["payment-required"], body) == (402, "e30=", {"error": "pay"})
        assert len(inference_node.book) == before and gate.settled == []
        request = {"model": "tiny-llm", "messages": HELLO}
        status, headers, _ = call(server, CHAT, request, {"X-Pay": "1"})
        assert (status, headers["payment-response"]) == (200, "ok")
        assert gate.settled == [Delivered(7, 16, True)]
    finally:
        server.stop()


class UnpaidAtSettlement(RecordingGate):
    def settle(self, request, admission, delivered):
        return GateSettlement(False, response=GateResponse(402, {"PAYMENT-REQUIRED": "x"}, {}))


def test_an_answer_whose_payment_fails_to_settle_is_refused_and_never_kept(inference_node):
    server = serve(inference_node, tls=False, gate=UnpaidAtSettlement())
    try:
        before = len(inference_node.book)
        request = {"model": "tiny-llm", "messages": HELLO}
        status, headers, body = call(server, CHAT, request, {"X-Pay": "1"})
        assert (status, headers["payment-required"], body) == (402, "x", {})
        status, _, text = call(server, CHAT, {**request, "stream": True}, {"X-Pay": "1"})
        *_, final = sse_events(text)
        assert final == {"error": {"status": 402, "headers": {"PAYMENT-REQUIRED": "x"}}}
        assert len(inference_node.book) == before
    finally:
        server.stop()


class PacedModels(GatewayModels):
    """The real tiny LM, its pieces handed out slowly, as a big model would."""

    def start(self, spec, request, seconds):
        generation = super().start(spec, request, seconds)
        self.last = generation
        inner = generation._pieces

        def paced():
            for piece in inner:
                time.sleep(0.05)
                yield piece

        generation._pieces = paced()
        generation.close = lambda: (inner.close(), setattr(self, "closed", True))
        return generation


def test_a_stream_cut_by_the_client_stops_the_model(inference_node):
    gate = RecordingGate()
    models = PacedModels(inference_node.llm_engine)
    server = serve(inference_node, tls=False, gate=gate)
    server.models = models
    try:
        host, port = server.server_address[:2]
        body = json.dumps(
            {"model": "tiny-llm", "messages": HELLO, "max_tokens": 40, "stream": True}
        ).encode()
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Pay: 1\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            head = sock.recv(4096)
            job = head.split(b"X-Settlement-Job-ID: ")[1][:64].decode()
        deadline = time.monotonic() + 10
        while not gate.settled and time.monotonic() < deadline:
            time.sleep(0.05)
        (delivered,) = gate.settled
        assert not delivered.complete and delivered.completion_tokens < 16
        assert getattr(models, "closed", False) and models.last.outcome is None
        assert inference_node.book.get(job) is None  # nothing signed or recorded
    finally:
        server.stop()
