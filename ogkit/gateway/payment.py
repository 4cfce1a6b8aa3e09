"""Where payment plugs into the gateway: a `PaymentGate`, asked before and after a generation.

The shape follows x402's framework-free HTTP server (`x402HTTPResourceServerSync`, x402
2.25): the request the gate sees is an x402 `HTTPAdapter` (`get_header`, `get_method`,
`get_path`, `get_url`, `get_body`, …: `PaidRequest` below), `admit` answers like
`process_http_request` (go on, or a ready response such as a 402 with `PAYMENT-REQUIRED`),
and `settle` like `process_settlement` (headers such as `PAYMENT-RESPONSE` on success, a
response on failure; `delivered` carries the actual token counts an `upto` charge needs, x402's
`settlement_overrides`). An x402 gate is then a thin adapter over that class.

The x402 gate, in outline, over what `ogkit.payments` has (pricing, offers, Facilitator):

    admit:  price = prices.of(model); cap = price.quote(prompt tokens, request.max_tokens)
            accepts = [upto_offer(cap, pay_to, facilitator.address), exact_offer(cap, pay_to)]
            no PAYMENT-SIGNATURE -> GateResponse(402, {"PAYMENT-REQUIRED": base64(x402 v2
                PaymentRequired{x402Version 2, resource{url: request.url}, accepts})})
            else: payload = base64-JSON of the header; offer = the one its `accepted` names;
                v = facilitator.verify(payload, offer, resource=request.url)
                invalid -> 402 again, `error` = v's reason; valid -> Admission(ticket=(payload,
                offer, price))
    settle: amount = price.charge(delivered.prompt_tokens, delivered.completion_tokens, cap)
            for upto (the cap for exact); r = facilitator.settle(payload, offer, amount)
            -> GateSettlement(r.success, {"PAYMENT-RESPONSE": base64(r)}, refusal if not)

(x402's own `x402HTTPResourceServerSync.process_http_request` / `process_settlement` has the
same two steps, if its route/paywall machinery is wanted instead.)

The server signs every answer before `settle` but keeps its record (what the settlement
service settles) only if `settle` succeeded; a failed settle is answered with its response
(non-stream) or an error in the final SSE chunk (stream). A stream the client cut is settled
with `Delivered(complete=False)` and never signed.

`FreeGate` admits everything and charges nothing: for development, until the x402 gate is
wired in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ogkit.gateway.requests import GatewayRequest


@dataclass(frozen=True)
class PaidRequest:
    """The HTTP request as x402's `HTTPAdapter` reads it, with the parsed body."""

    method: str
    path: str
    url: str
    headers: dict[str, str]
    """Lower-cased names."""
    request: GatewayRequest

    def get_header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def get_method(self) -> str:
        return self.method

    def get_path(self) -> str:
        return self.path

    def get_url(self) -> str:
        return self.url

    def get_accept_header(self) -> str:
        return self.headers.get("accept", "")

    def get_user_agent(self) -> str:
        return self.headers.get("user-agent", "")

    def get_query_params(self) -> dict[str, str | list[str]] | None:
        return None

    def get_query_param(self, name: str) -> str | list[str] | None:
        return None

    def get_body(self) -> Any:
        return self.request.body


@dataclass(frozen=True)
class GateResponse:
    """A response the gate wants sent instead of the answer (x402's HTTPResponseInstructions)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Admission:
    """`admit`'s verdict: `response` set means refused (send it, run nothing)."""

    response: GateResponse | None = None
    ticket: Any = None
    """What the gate needs again at `settle` (x402: the payload and the requirements)."""

    @property
    def admitted(self) -> bool:
        return self.response is None


@dataclass(frozen=True)
class Delivered:
    """What the client got: the tokens an `upto` payment is charged for."""

    prompt_tokens: int
    completion_tokens: int
    complete: bool
    """False when the client cut the stream before the end."""


@dataclass(frozen=True)
class GateSettlement:
    success: bool
    headers: dict[str, str] = field(default_factory=dict)
    response: GateResponse | None = None
    """On failure: what to answer instead (not sendable once a stream began)."""
    payment: dict[str, str] | None = None
    """On success: the payment's reference kept with the record ({network, tx, amount, payer,
    scheme}; `tx` empty when nothing had to move)."""


class PaymentGate(Protocol):
    def admit(self, request: PaidRequest) -> Admission: ...

    def settle(
        self, request: PaidRequest, admission: Admission, delivered: Delivered
    ) -> GateSettlement: ...


def release(gate: PaymentGate, admission: Admission) -> None:
    """An admitted request was not served (busy, the model failed): a gate that holds
    something for it (x402: the payment's nonce) lets it go; nothing was charged."""
    free = getattr(gate, "release", None)
    if free is not None:
        free(admission)


def confirm(gate: PaymentGate, request: PaidRequest, admission: Admission) -> GateResponse | None:
    """Before an answer is sent: a gate that checks the payment beside the generation says
    now whether it passed (None) or what to answer instead."""
    check = getattr(gate, "confirm", None)
    return None if check is None else check(request, admission)


class FreeGate:
    """No payment: every request is admitted, nothing is charged (development only)."""

    def admit(self, request: PaidRequest) -> Admission:
        return Admission()

    def settle(
        self, request: PaidRequest, admission: Admission, delivered: Delivered
    ) -> GateSettlement:
        return GateSettlement(True)
