"""The x402 offers (`accepts` entries of a 402's PAYMENT-REQUIRED) for OPG on the payment chain,
as OpenGradient's SDK expects them: `extra` names the token's EIP-712 domain; `upto` adds
Permit2 as the transfer method and the facilitator its permit must name."""

from __future__ import annotations

from ogkit.payments.contracts import NETWORK, OPG_ADDRESS, OPG_DOMAIN_NAME, OPG_DOMAIN_VERSION

DEFAULT_TIMEOUT_S = 300


def exact_offer(amount: int, pay_to: str, timeout_s: int = DEFAULT_TIMEOUT_S) -> dict:
    """Pay exactly `amount` atomic OPG to `pay_to` with one EIP-3009 signature."""
    return _offer("exact", amount, pay_to, timeout_s, {})


def upto_offer(cap: int, pay_to: str, facilitator: str, timeout_s: int = DEFAULT_TIMEOUT_S) -> dict:
    """Pay at most `cap` atomic OPG to `pay_to` through Permit2, settled by `facilitator`."""
    extra = {"assetTransferMethod": "permit2", "facilitatorAddress": facilitator}
    return _offer("upto", cap, pay_to, timeout_s, extra)


def _offer(scheme: str, amount: int, pay_to: str, timeout_s: int, extra: dict) -> dict:
    if amount < 0:
        raise ValueError(f"an amount must not be negative: {amount}")
    return {
        "scheme": scheme,
        "network": NETWORK,
        "amount": str(int(amount)),
        "asset": OPG_ADDRESS,
        "payTo": pay_to,
        "maxTimeoutSeconds": timeout_s,
        "extra": {"name": OPG_DOMAIN_NAME, "version": OPG_DOMAIN_VERSION, **extra},
    }
