"""A facilitator the gateway calls over HTTP (`ogkit facilitator`, or any x402 facilitator with
the same /verify, /settle, /supported): the interface `X402Gate` uses of
`ogkit.payments.Facilitator` (`address`, `verify`, `settle`, `release`), over the wire.

`release` cannot reach the remote's in-flight guard: a payment verified for a request that was
then not served stays held there until its `maxTimeoutSeconds` (+60 s) pass. Nothing is charged;
x402 clients sign a fresh nonce for each 402 anyway.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from x402.schemas import SettleResponse, VerifyResponse

from ogkit.payments import reasons
from ogkit.payments.contracts import NETWORK


class FacilitatorUnreachable(RuntimeError):
    """The facilitator did not answer /supported with an eip155 signer."""


class RemoteFacilitator:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        try:
            supported = self._call("GET", "/supported")
            self._address = supported["signers"]["eip155:*"][0]
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise FacilitatorUnreachable(f"{self.url}/supported: {exc}") from None

    @property
    def address(self) -> str:
        """The account that sends settlements: what an `upto` permit's witness must name."""
        return self._address

    def verify(
        self, payload: Any, requirements: Any, resource: str | None = None
    ) -> VerifyResponse:
        body = {"x402Version": 2, "paymentPayload": payload, "paymentRequirements": requirements}
        if resource is not None:
            body["resource"] = resource
        try:
            return VerifyResponse.model_validate(self._call("POST", "/verify", body))
        except (OSError, ValueError) as exc:
            message = reasons.explain(reasons.UNAVAILABLE, str(exc)[:200])
            return VerifyResponse(
                is_valid=False, invalid_reason=reasons.UNAVAILABLE, invalid_message=message
            )

    def settle(self, payload: Any, requirements: Any, amount: int | None = None) -> SettleResponse:
        """As `Facilitator.settle`: for upto, the requirements' amount sent is the charge."""
        if amount is not None and requirements.get("scheme") == "upto":
            requirements = {**requirements, "amount": str(int(amount))}
        body = {"x402Version": 2, "paymentPayload": payload, "paymentRequirements": requirements}
        try:
            return SettleResponse.model_validate(self._call("POST", "/settle", body))
        except (OSError, ValueError) as exc:
            return SettleResponse(
                success=False,
                error_reason=reasons.UNAVAILABLE,
                error_message=reasons.explain(reasons.UNAVAILABLE, str(exc)[:200]),
                transaction="",
                network=NETWORK,
                payer="",
            )

    def release(self, payload: Any) -> None:
        """Nothing to do here: the remote's guard frees the nonce at its timeout."""

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data, {"Content-Type": "application/json"}, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(f"HTTP {exc.code}: {exc.read()[:200]!r}") from None
