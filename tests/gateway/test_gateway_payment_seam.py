"""`ogkit gateway`'s payment seam over plain HTTP: a `PaymentGate` refuses before anything
runs, an answer whose payment fails to settle is refused and never kept, and a stream the
client cuts stops the model and settles only what was delivered."""

from __future__ import annotations

import json
import socket
import time

from gateway_support import CHAT, HELLO, call, serve, sse_events

from ogkit.gateway import GatewayModels
from ogkit.gateway.payment import Admission, Delivered, GateResponse, GateSettlement


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
