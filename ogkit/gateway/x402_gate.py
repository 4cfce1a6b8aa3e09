"""The x402 payment gate: `PaymentGate` over `ogkit.payments` (pricing, offers, Facilitator).

admit: a request is quoted (prompt tokens · input price + max_tokens · output price); without a
`PAYMENT-SIGNATURE` it is answered 402 with `PAYMENT-REQUIRED` (x402 v2, base64 JSON) offering
the schemes in the configured order (OpenGradient's SDK pays the first (network, scheme) it
knows: upto first, exact second by default). A payment is matched to the offer its `accepted`
names, rebuilt for *this* body, and verified by the facilitator against this URL (so another
resource, recipient, amount, an expired or replayed authorization are refused); a valid one's
nonce is held against concurrent use until `settle` or `release`.

settle: exact pays the quote; upto pays the tokens delivered (<= the signed cap; 0 ⇒ no
transaction). The result goes back as `PAYMENT-RESPONSE`, and as `payment` {network, tx,
amount, payer, scheme} for the gateway's record. Every refusal is a 402 whose `error` says why;
nothing is charged for it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ogkit.gateway.payment import Admission, Delivered, GateResponse, GateSettlement, PaidRequest
from ogkit.gateway.remote_facilitator import RemoteFacilitator
from ogkit.gateway.requests import GatewayRequest
from ogkit.payments.facilitator import Facilitator
from ogkit.payments.offers import DEFAULT_TIMEOUT_S, exact_offer, upto_offer
from ogkit.payments.pricing import PriceList, TokenPrice

log = logging.getLogger("ogkit.gateway")
SCHEMES = ("upto", "exact")
PAYMENT_HEADERS = ("payment-signature", "x-payment")
"""v2's header, and v1's name for it (read too; only an x402 v2 payload is accepted)."""


@dataclass(frozen=True)
class Ticket:
    """What `settle` needs of an admitted payment."""

    payload: dict[str, Any]
    offer: dict[str, Any]
    price: TokenPrice
    cap: int
    verdict: Future | None = None
    """A verification still running beside the generation (deferred mode): `confirm`."""
    offers: tuple[dict[str, Any], ...] = ()


class X402Gate:
    """x402 v2 payment in OPG on the payment chain, verified and settled by `facilitator` (in
    this process, or `RemoteFacilitator` over HTTP)."""

    def __init__(
        self,
        facilitator: Facilitator | RemoteFacilitator,
        pay_to: str,
        prompt_tokens: Callable[[GatewayRequest], int],
        prices: PriceList | None = None,
        schemes: tuple[str, ...] = SCHEMES,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        deferred: bool = False,
    ) -> None:
        unknown = [s for s in schemes if s not in SCHEMES]
        if not schemes or unknown:
            raise ValueError(f"schemes must be some of {SCHEMES}, not {schemes}")
        self.facilitator = facilitator
        self.pay_to = pay_to
        self.prompt_tokens = prompt_tokens
        self.prices = prices or PriceList()
        self.schemes = tuple(dict.fromkeys(schemes))
        self.timeout_s = timeout_s
        self.deferred = deferred
        """Non-streamed answers: verify beside the generation (the answer waits for the
        verdict, never sent on a refusal) and settle after the answer is written: the client
        waits for neither round of payment-chain calls; the answer has no PAYMENT-RESPONSE (its
        reference is in `GET /v1/settlements/{job}` once settled)."""
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="ogkit-x402-settle")
        self._verifiers = ThreadPoolExecutor(4, thread_name_prefix="ogkit-x402-verify")

    def quote(self, request: GatewayRequest) -> tuple[TokenPrice, int]:
        """The price of `request`'s model and the most the request may cost."""
        price = self.prices.of(request.model)
        return price, price.quote(self.prompt_tokens(request), request.max_tokens)

    def offers(self, cap: int) -> list[dict[str, Any]]:
        made = {
            "upto": lambda: upto_offer(cap, self.pay_to, self.facilitator.address, self.timeout_s),
            "exact": lambda: exact_offer(cap, self.pay_to, self.timeout_s),
        }
        return [made[scheme]() for scheme in self.schemes]

    def admit(self, request: PaidRequest) -> Admission:
        price, cap = self.quote(request.request)
        offers = self.offers(cap)
        header = next(filter(None, map(request.get_header, PAYMENT_HEADERS)), None)
        if header is None:
            return _refuse(request, offers, "payment required")
        payload = _decode(header)
        if payload is None:
            return _refuse(request, offers, "the PAYMENT-SIGNATURE header is not base64 JSON")
        offer = _matching(offers, payload.get("accepted"))
        if offer is None:
            return _refuse(request, offers, "the payment accepts none of these offers")
        if self.deferred and not request.request.stream:  # checked before the answer is sent
            running = self._verifiers.submit(
                self.facilitator.verify, payload, offer, resource=request.url
            )
            return Admission(ticket=Ticket(payload, offer, price, cap, running, tuple(offers)))
        refusal = _verdict(request, offers, self.facilitator.verify(payload, offer, request.url))
        return refusal or Admission(ticket=Ticket(payload, offer, price, cap))

    def confirm(self, request: PaidRequest, admission: Admission) -> GateResponse | None:
        """Before an answer is sent: a verification that ran beside the generation must have
        passed; its refusal (a 402) otherwise. Nothing was charged or recorded."""
        ticket = admission.ticket
        if not isinstance(ticket, Ticket) or ticket.verdict is None:
            return None
        refusal = _verdict(request, list(ticket.offers), ticket.verdict.result())
        return None if refusal is None else refusal.response

    def settle(
        self, request: PaidRequest, admission: Admission, delivered: Delivered
    ) -> GateSettlement:
        ticket: Ticket | None = admission.ticket
        if ticket is None:
            return GateSettlement(True)
        scheme = ticket.offer["scheme"]
        amount = ticket.cap
        if scheme == "upto":
            used = (delivered.prompt_tokens, delivered.completion_tokens)
            amount = ticket.price.charge(*used, ticket.cap)
        if amount == 0:  # nothing delivered: nothing to move, and no transaction
            self.facilitator.release(ticket.payload)
            result = {"success": True, "transaction": "", "network": ticket.offer["network"]}
            return _settled(result | {"amount": "0", "payer": ""}, scheme)
        done = self.facilitator.settle(
            ticket.payload, ticket.offer, amount if scheme == "upto" else None
        )
        result = done.model_dump(by_alias=True, exclude_none=True)
        if not done.success:
            reason = done.error_message or done.error_reason or "settlement failed"
            log.warning("payment settlement failed for %s: %s", request.path, reason)
            refusal = _refuse(request, self.offers(ticket.cap), reason, done.error_reason)
            return GateSettlement(False, {"PAYMENT-RESPONSE": _encode(result)}, refusal.response)
        return _settled(result | {"amount": str(amount)}, scheme)

    def background(self, work: Callable[[], None]) -> None:
        """Run `work` (a deferred settlement) after the ones before it, one at a time: the
        facilitator's transactions never race for its account's nonce."""
        self._worker.submit(_logged, work)

    def release(self, admission: Admission) -> None:
        """The admitted request was not served (busy, generation failed): free its nonce."""
        if isinstance(admission.ticket, Ticket):
            if admission.ticket.verdict is not None:  # it may be about to hold the nonce
                admission.ticket.verdict.result()
            self.facilitator.release(admission.ticket.payload)


def _verdict(request: PaidRequest, offers: list[dict[str, Any]], verdict: Any) -> Admission | None:
    if verdict.is_valid:
        return None
    reason = verdict.invalid_message or verdict.invalid_reason or "refused"
    log.info("payment refused for %s: %s", request.path, reason)
    return _refuse(request, offers, reason, verdict.invalid_reason)


def _logged(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # noqa: BLE001 - a worker thread: say it, keep serving
        log.exception("a deferred payment settlement failed")


def _settled(result: dict[str, Any], scheme: str) -> GateSettlement:
    payment = {
        "network": result.get("network", ""),
        "tx": result.get("transaction", ""),
        "amount": result["amount"],
        "payer": result.get("payer", ""),
        "scheme": scheme,
    }
    return GateSettlement(True, {"PAYMENT-RESPONSE": _encode(result)}, payment=payment)


def _refuse(
    request: PaidRequest, offers: list[dict[str, Any]], error: str, code: str | None = None
) -> Admission:
    required = {
        "x402Version": 2,
        "error": error,
        "resource": {
            "url": request.url,
            "description": f"ogkit gateway {request.request.kind}",
            "mimeType": "application/json",
        },
        "accepts": offers,
    }
    body = {**required, **({"reason": code} if code else {})}
    headers = {"PAYMENT-REQUIRED": _encode(required)}
    return Admission(response=GateResponse(402, headers, body))


def _matching(offers: list[dict[str, Any]], accepted: Any) -> dict[str, Any] | None:
    """The offer the payload says it accepted (by scheme and network); the facilitator then
    checks every other term (asset, recipient, amount) against it."""
    if not isinstance(accepted, dict):
        return None
    for offer in offers:
        if (accepted.get("scheme"), accepted.get("network")) == (offer["scheme"], offer["network"]):
            return offer
    return None


def _decode(header: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.b64decode(header, validate=True))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _encode(data: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def prompt_counter(models: Any) -> Callable[[GatewayRequest], int]:
    """How many prompt tokens a request has, as its model counts them (an upstream's: bytes/4,
    its usage is only known afterwards; an `upto` charge is capped by the quote anyway)."""
    from ogkit.llm import chat_template

    def count(request: GatewayRequest) -> int:
        spec = models.resolve(request.model)
        prompt = (
            chat_template.render(request.messages, request.tools, request.tool_choice)
            if request.kind == "chat"
            else request.prompt
        )
        if spec.backend == "http":
            return -(-len(prompt.encode()) // 4)
        _bundle, lm = models.engine._by_hash[spec.model_hash]
        return lm.count_tokens(prompt)

    return count
