"""One admitted request, from its generation to the signed answer: whole (`answer`) or as
server-sent events (`stream`), the payment settled for what was delivered, the record kept
only when paid, and a stream the client cut stopped between tokens."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any

from ogkit.gateway import responses
from ogkit.gateway.generation import Generation, Outcome
from ogkit.gateway.payment import Admission, Delivered, GateResponse, PaidRequest, confirm, release
from ogkit.gateway.requests import GatewayRequest
from ogkit.gateway.signing import GatewayRecord
from precompiles.host import LLMSpec, ModelExecutionError

log = logging.getLogger("ogkit.gateway")


class Slot:
    """A generation slot of the server's semaphore, released once: as soon as the generation
    ended, before the answer is written, so a client's next request never finds its previous
    one still counted."""

    def __init__(self, semaphore: threading.BoundedSemaphore) -> None:
        self._semaphore = semaphore
        self._held = True
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                self._semaphore.release()


class Job:
    """One admitted request, from generation to the signed answer."""

    def __init__(
        self,
        handler: Any,
        request: GatewayRequest,
        spec: LLMSpec,
        paid: PaidRequest,
        admission: Admission,
        generation: Generation,
        slot: Slot,
    ) -> None:
        self.handler, self.request, self.spec, self.slot = handler, request, spec, slot
        self.paid, self.admission, self.generation = paid, admission, generation
        self.id = secrets.token_hex(32)
        self.created = int(time.time())
        self.server = handler.server

    def headers(self) -> dict[str, str]:
        private = self.request.settlement_type == "private"
        return {
            "X-Settlement-Job-ID": self.id,
            "X-Settlement-Type": self.request.settlement_type,
            "X-Settlement-Status": "not-required" if private else "queued",
        }

    def _settle(self, outcome: Outcome, complete: bool) -> Any:
        delivered = Delivered(outcome.prompt_tokens, outcome.completion_tokens, complete)
        return self.server.gate.settle(self.paid, self.admission, delivered)

    def _sign(self, outcome: Outcome) -> GatewayRecord:
        return self.server.signer.sign(self.id, self.request, self.spec, outcome, self.paid.path)

    def answer(self) -> None:
        for _ in self.generation:
            pass
        self.slot.release()
        outcome = self.generation.outcome
        assert outcome is not None
        refusal = confirm(self.server.gate, self.paid, self.admission)
        if refusal is not None:  # its payment failed the check that ran beside the generation
            return self.handler._gate_response(refusal)
        record = self._sign(outcome)
        if getattr(self.server.gate, "deferred", False):
            return self._answer_then_settle(outcome, record)
        settled = self._settle(outcome, True)
        if not settled.success:  # unpaid: answered with the gate's refusal, never settled
            return self.handler._gate_response(settled.response or GateResponse(402))
        record.payment = settled.payment
        self.server.signer.keep(record)
        self._write_answer(outcome, record, settled.headers)

    def _write_answer(self, outcome: Outcome, record: GatewayRecord, headers: dict) -> None:
        build = responses.chat_body if self.request.kind == "chat" else responses.completion_body
        body = build(self.id, self.request.model, self.created, outcome, record.tee)
        self.handler._json(200, body, {**self.headers(), **headers})

    def _answer_then_settle(self, outcome: Outcome, record: GatewayRecord) -> None:
        """A gate that settles after the answer (its payment verified and its nonce held at
        admission): the client does not wait for the payment transaction. The record is kept,
        with its payment reference, once the payment settled; never if it failed."""
        self._write_answer(outcome, record, {"X-Payment-Status": "settling"})

        def settle() -> None:
            settled = self._settle(outcome, True)
            if settled.success:
                record.payment = settled.payment
                self.server.signer.keep(record)
            else:
                log.warning("payment for %s failed after its answer: not settled", self.id)

        self.server.gate.background(settle)

    def stream(self) -> None:
        handler, model = self.handler, self.request.model
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        for name, value in self.headers().items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.close_connection = True  # no length: the body ends when the connection does
        sent = ""
        try:
            self._write(
                responses.content_chunk(
                    self.id, model, self.created, {"role": "assistant", "content": ""}
                )
            )
            for piece in self.generation:
                self._write(
                    responses.content_chunk(self.id, model, self.created, {"content": piece})
                )
                sent += piece
            self.slot.release()
            outcome = self.generation.outcome
            assert outcome is not None
            if outcome.content.startswith(sent) and len(outcome.content) > len(sent):
                rest = outcome.content[len(sent) :]
                self._write(
                    responses.content_chunk(self.id, model, self.created, {"content": rest})
                )
        except OSError:  # the client left: stop the model, charge what it got
            self.generation.close()
            self.slot.release()
            self._cut(sent)
            return
        except ModelExecutionError as exc:  # the model failed mid-way: say so, charge nothing
            release(self.server.gate, self.admission)
            self._write(responses.error_body(500, str(exc), code="model_error"))
            return
        record = self._sign(outcome)
        settled = self._settle(outcome, True)
        final = responses.final_chunk(self.id, model, self.created, outcome, record.tee)
        if settled.success:
            record.payment = settled.payment
            self.server.signer.keep(record)
            if settled.headers:
                final["payment_response"] = settled.headers
        else:  # the status line went out already: the refusal rides in the final chunk
            refusal = settled.response or GateResponse(402)
            final = {"error": {"status": refusal.status, "headers": refusal.headers}}
        try:
            self._write(final)
            self.handler.wfile.write(responses.DONE)
        except OSError:
            pass  # signed, recorded and paid: the client left just before the end

    def _write(self, chunk: dict[str, Any]) -> None:
        self.handler.wfile.write(responses.sse(chunk))
        self.handler.wfile.flush()

    def _cut(self, sent: str) -> None:
        tokens = len(sent) and self._count(sent)
        log.info("stream %s cut by the client after %d tokens", self.id, tokens)
        self._settle(Outcome(sent, "cancelled", [], 0, tokens), False)

    def _count(self, text: str) -> int:
        if self.spec.backend == "http":
            return -(-len(text.encode()) // 4)
        _bundle, lm = self.server.models.engine._by_hash[self.spec.model_hash]
        return lm.count_tokens(text)
