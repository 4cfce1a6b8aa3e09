"""`ogkit gateway`'s payment options: x402 over the local payment chain, or free.

Kept out of gateway.py: the options, the gate they make and its banner line. Without a payment
option the gateway stays free (`FreeGate`) and says so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import click


@dataclass(frozen=True)
class PaymentChoice:
    """What the payment options asked for (one value, handed from the command to `make_gate`)."""

    payments_rpc: str | None = None
    facilitator_url: str | None = None
    local_payments: bool = False
    pay_to: str | None = None
    price: str | None = None
    schemes: tuple[str, ...] = ()
    settle_payment: str = "before-answer"


def payment_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options, handed to `command` as one `payment: PaymentChoice` argument."""

    @functools.wraps(command)
    def with_payment(**kwargs: Any) -> Any:
        chosen = {f.name: kwargs.pop(f.name) for f in fields(PaymentChoice)}
        return command(payment=PaymentChoice(**chosen), **kwargs)

    options = [
        click.option(
            "--payments-rpc", default=None, envvar="OGKIT_PAYMENT_RPC_URL",
            help="The payment chain's JSON-RPC URL (`ogkit node --payments`): every request is "
            "paid with x402 in OPG, verified and settled by an in-process facilitator "
            "[env OGKIT_PAYMENT_RPC_URL]. Without it (or --local-payments) the gateway is free.",
        ),
        click.option(
            "--facilitator-url", default=None,
            help="Call this x402 facilitator (`ogkit facilitator`: /verify, /settle, /supported) "
            "instead of running one over --payments-rpc.",
        ),
        click.option(
            "--local-payments", is_flag=True,
            help="Start the payment chain in this process (a free port, printed) and be paid "
            "on it: a one-command demo.",
        ),
        click.option(
            "--pay-to", default=None,
            help="The address paid [default: the TEE operator's, the registry's paymentAddress].",
        ),
        click.option(
            "--price", default=None, metavar="IN:OUT",
            help="Atomic OPG per prompt token and per generated token "
            "[default: 1000000000000:4000000000000, i.e. 1e-6 and 4e-6 OPG].",
        ),
        click.option(
            "--scheme", "schemes", multiple=True, type=click.Choice(["upto", "exact"]),
            help="The x402 schemes offered, in this order (repeatable; a client pays the "
            "first it knows) [default: upto, then exact].",
        ),
        click.option(
            "--settle-payment", type=click.Choice(["before-answer", "after-answer"]),
            default="before-answer", show_default=True,
            help="When a non-streamed answer's payment settles: before it is sent (x402's way: "
            "the answer carries PAYMENT-RESPONSE) or after (the client does not wait for the "
            "payment transaction; the verified payment's nonce is held meanwhile, and its "
            "reference shows in GET /v1/settlements/{job}).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        with_payment = option(with_payment)
    return with_payment


def make_gate(payment: PaymentChoice, models: Any) -> tuple[Any, Any, str]:
    """(gate or None for free, a local payment chain to stop or None, the banner line)."""
    sources = {
        "--payments-rpc": payment.payments_rpc,
        "--facilitator-url": payment.facilitator_url,
        "--local-payments": payment.local_payments,
    }
    chosen = [option for option, value in sources.items() if value]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    if not chosen:
        if payment.pay_to or payment.price or payment.schemes:
            raise click.UsageError("--pay-to, --price and --scheme need --payments-rpc")
        return None, None, "Payment: none, every request is served free (FreeGate)"
    from eth_account import Account

    from ogkit.chain.tee_registry_genesis import TEE_OPERATOR_KEY
    from ogkit.gateway.x402_gate import SCHEMES, X402Gate, prompt_counter
    from ogkit.payments.facilitator import Facilitator
    from ogkit.payments.pricing import PriceError, PriceList, TokenPrice

    try:
        prices = PriceList(TokenPrice.parse(payment.price)) if payment.price else PriceList()
    except PriceError as exc:
        raise click.BadParameter(str(exc), param_hint="--price") from None
    local, payments_rpc, facilitator_url = None, payment.payments_rpc, payment.facilitator_url
    if payment.local_payments:
        from ogkit.payments.local import start_local_payments

        local = start_local_payments()
        payments_rpc = local.rpc_url
    if facilitator_url is not None:
        facilitator, where = _remote(facilitator_url), f"via {facilitator_url}"
    else:
        assert payments_rpc is not None
        facilitator, where = Facilitator(payments_rpc), f"at {payments_rpc}"
        _check_chain(facilitator, payments_rpc, local)
    receiver = payment.pay_to or Account.from_key(TEE_OPERATOR_KEY).address
    deferred = payment.settle_payment == "after-answer"
    counter = prompt_counter(models)
    gate = X402Gate(
        facilitator, receiver, counter, prices, payment.schemes or SCHEMES, deferred=deferred
    )
    line = (
        f"Payment: x402 ({', '.join(gate.schemes)}) in OPG on eip155:8453 {where}; "
        f"pay to {receiver}; price {prices.default.input}:{prices.default.output} per token; "
        f"facilitator {facilitator.address}; settled {payment.settle_payment}"
    )
    return gate, local, line


def _remote(url: str) -> Any:
    from ogkit.gateway.remote_facilitator import FacilitatorUnreachable, RemoteFacilitator

    try:
        return RemoteFacilitator(url)
    except FacilitatorUnreachable as exc:
        raise click.ClickException(f"cannot use the facilitator: {exc}") from None


def _check_chain(facilitator: Any, rpc: str, local: Any) -> None:
    try:
        chain_id = facilitator.signer.get_chain_id()
    except Exception as exc:  # noqa: BLE001 - connection errors come in many types
        raise click.ClickException(f"cannot reach the payment chain at {rpc}: {exc}") from None
    if chain_id != 8453:
        if local is not None:
            local.close()
        raise click.ClickException(f"{rpc} is chain {chain_id}, not the payment chain 8453")
