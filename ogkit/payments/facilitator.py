"""The x402 facilitator of the local payment chain: verify a payment, settle it on chain.

Upstream x402's own facilitator core (`x402FacilitatorSync`) with its `exact` (EIP-3009
`transferWithAuthorization`) and `upto` (Permit2 through the x402 upto proxy) schemes for
eip155:8453, over x402's web3 signer talking JSON-RPC to `ogkit node --payments`. Around it,
what a gateway needs and x402 leaves to the caller: the payload's `accepted` terms and resource
checked against the offer, an in-flight guard (a nonce verified for one request is refused to a
concurrent one until settled or released), the `upto` charge (<= the signed cap), and every
refusal in words (`reasons.py`). `facilitator_http.py` serves it over HTTP.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from x402 import x402FacilitatorSync
from x402.mechanisms.evm import FacilitatorWeb3Signer
from x402.mechanisms.evm.exact.facilitator import ExactEvmScheme
from x402.mechanisms.evm.upto.facilitator import UptoEvmScheme
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedResponse,
    VerifyResponse,
)

from ogkit.payments import reasons
from ogkit.payments.contracts import FACILITATOR_KEY, NETWORK, PERMIT2_ADDRESS, permit2_abi

SCHEMES = ("exact", "upto")
UPTO_FAILED = "invalid_upto_evm_transaction_failed"
TERMS = ("scheme", "network", "asset", "pay_to")
"""What a payload's `accepted` must share with the offer it pays (the amount is checked by
the scheme: equal for exact, the cap for upto)."""


class Facilitator:
    """x402 facilitator over the payment chain at `rpc_url`, settling from `key`'s account."""

    def __init__(
        self,
        rpc_url: str,
        key: bytes = FACILITATOR_KEY,
        network: str = NETWORK,
        confirmation_timeout: float = 30.0,
    ) -> None:
        self.network = network
        self.signer = FacilitatorWeb3Signer(
            "0x" + key.hex(), rpc_url, confirmation_timeout_seconds=confirmation_timeout
        )
        self.core = x402FacilitatorSync()
        self.core.register([network], ExactEvmScheme(self.signer))
        self.core.register([network], UptoEvmScheme(self.signer))
        self._in_flight: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        """The account that sends settlements: what an `upto` permit's witness must name."""
        return self.signer.address

    def supported(self) -> SupportedResponse:
        return self.core.get_supported()

    def verify(
        self, payload: Any, requirements: Any, resource: str | None = None
    ) -> VerifyResponse:
        """Check a payment for `requirements` (and `resource`, the URL it pays for, if given).
        A valid one holds its nonce until `settle` or `release`: a concurrent request with the
        same authorization is refused meanwhile. Never raises: a refusal says why."""
        parsed = _parse(payload, requirements)
        if isinstance(parsed, VerifyResponse):
            return parsed
        payload, requirements = parsed
        refused = _terms_refusal(payload, requirements, resource, self.network)
        if refused is None and not self._reserve(payload):
            refused = reasons.NONCE_IN_FLIGHT
        if refused is not None:
            return _invalid(refused, _payer(payload))
        try:
            result = self.core.verify(payload, requirements)
        except Exception as exc:  # noqa: BLE001 - e.g. the chain unreachable: a refusal
            self.release(payload)
            return _invalid(reasons.UNAVAILABLE, _payer(payload), _first_line(exc))
        if not result.is_valid:
            self.release(payload)
            if result.invalid_reason == UPTO_FAILED and self._permit2_nonce_used(payload):
                result = result.model_copy(update={"invalid_reason": reasons.PERMIT2_REPLAYED})
            return _with_words(result, payload, requirements)
        return result

    def _permit2_nonce_used(self, payload: PaymentPayload) -> bool:
        """x402 names a replayed upto permit only "transaction failed" (its simulation
        reverts): Permit2's nonce bitmap says whether that is why. Other reasons stand."""
        auth = payload.payload.get("permit2Authorization")
        if payload.accepted.scheme != "upto" or not isinstance(auth, dict):
            return False
        try:
            nonce, owner = int(auth["nonce"]), auth["from"]
            bitmap = self.signer.read_contract(
                PERMIT2_ADDRESS, permit2_abi(), "nonceBitmap", owner, nonce >> 8
            )
        except Exception:  # noqa: BLE001 - unreadable: keep x402's own reason
            return False
        return bool(int(bitmap) >> (nonce & 0xFF) & 1)

    def settle(self, payload: Any, requirements: Any, amount: int | None = None) -> SettleResponse:
        """Move the money: exact pays `requirements.amount` (an `amount` must equal it); upto
        pays `amount` (the charge, <= the signed cap; default: `requirements.amount`; 0:
        nothing is sent). Verifies again first; never raises."""
        parsed = _parse(payload, requirements)
        if isinstance(parsed, VerifyResponse):
            return _failed(parsed.invalid_reason, parsed.payer, self.network)
        payload, requirements = parsed
        refused = _terms_refusal(payload, requirements, None, self.network)
        if refused is None and amount is not None and payload.accepted.scheme == "exact":
            refused = None if int(amount) == int(requirements.amount) else reasons.EXACT_AMOUNT
        if refused is not None:
            return _failed(refused, _payer(payload), self.network)
        if amount is not None:
            requirements = requirements.model_copy(update={"amount": str(int(amount))})
        try:
            result = self.core.settle(payload, requirements)
        except Exception as exc:  # noqa: BLE001 - e.g. the chain unreachable: a failure
            return _failed(reasons.UNAVAILABLE, _payer(payload), self.network, _first_line(exc))
        finally:
            self.release(payload)
        if not result.success:
            detail = result.error_message
            result = result.model_copy(
                update={"error_message": reasons.explain(result.error_reason, detail)}
            )
        return result

    def release(self, payload: Any) -> None:
        """Free a nonce `verify` held (the request it paid for was not served)."""
        key = _nonce_key(payload)
        if key is not None:
            with self._lock:
                self._in_flight.pop(key, None)

    def _reserve(self, payload: PaymentPayload) -> bool:
        key = _nonce_key(payload)
        if key is None:
            return True
        now = time.time()
        with self._lock:
            for stale in [k for k, until in self._in_flight.items() if until < now]:
                del self._in_flight[stale]
            if key in self._in_flight:
                return False
            self._in_flight[key] = now + payload.accepted.max_timeout_seconds + 60
            return True


def _parse(payload: Any, requirements: Any) -> tuple[PaymentPayload, PaymentRequirements] | Any:
    try:
        if not isinstance(payload, PaymentPayload):
            payload = PaymentPayload.model_validate(payload)
        if not isinstance(requirements, PaymentRequirements):
            requirements = PaymentRequirements.model_validate(requirements)
    except Exception as exc:  # noqa: BLE001 - pydantic's errors: refused with its words
        return _invalid(reasons.MALFORMED, "", str(exc).splitlines()[0])
    if payload.x402_version != 2:
        return _invalid(reasons.UNSUPPORTED, "", "x402 version 2 only")
    return payload, requirements


def _terms_refusal(
    payload: PaymentPayload, requirements: PaymentRequirements, resource: str | None, network: str
) -> str | None:
    accepted = payload.accepted
    if accepted.scheme not in SCHEMES or requirements.scheme not in SCHEMES:
        return reasons.UNSUPPORTED
    if requirements.network != network:
        return reasons.NETWORK_MISMATCH
    for term in TERMS:
        if str(getattr(accepted, term)).lower() != str(getattr(requirements, term)).lower():
            return reasons.ACCEPTED_MISMATCH
    if resource is not None and (payload.resource is None or payload.resource.url != resource):
        return reasons.RESOURCE_MISMATCH
    return None


def _nonce_key(payload: Any) -> tuple[str, str] | None:
    body = payload.payload if isinstance(payload, PaymentPayload) else payload.get("payload")
    if not isinstance(body, dict):
        return None
    auth = body.get("authorization") or body.get("permit2Authorization")
    if not isinstance(auth, dict) or "nonce" not in auth:
        return None
    return str(auth.get("from", "")).lower(), str(auth["nonce"]).lower()


def _payer(payload: PaymentPayload) -> str:
    key = _nonce_key(payload)
    return key[0] if key else ""


def _invalid(code: str, payer: str, detail: str | None = None) -> VerifyResponse:
    return VerifyResponse(
        is_valid=False,
        invalid_reason=code,
        invalid_message=reasons.explain(code, detail),
        payer=payer,
    )


def _with_words(
    result: VerifyResponse, payload: PaymentPayload, requirements: PaymentRequirements
) -> VerifyResponse:
    detail = None
    auth = payload.payload.get("authorization")
    if result.invalid_reason.endswith("value_mismatch") and isinstance(auth, dict):
        paid, price = int(auth.get("value", 0)), int(requirements.amount)
        detail = f"{'underpaid' if paid < price else 'overpaid'}: {paid} for a price of {price}"
    message = reasons.explain(result.invalid_reason, detail)
    return result.model_copy(update={"invalid_message": message})


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:300]


def _failed(
    code: str | None, payer: str | None, network: str, detail: str | None = None
) -> SettleResponse:
    return SettleResponse(
        success=False,
        error_reason=code,
        error_message=reasons.explain(code, detail),
        payer=payer or "",
        transaction="",
        network=network,
    )
