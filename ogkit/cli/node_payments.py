"""`ogkit node --payments`: the node runs the local payment chain (ogkit/payments/chain.py)
instead of the AI chain. Kept out of node.py: the flag, the config change and the banner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

payments_option = click.option(
    "--payments",
    is_flag=True,
    help="Run the local payment chain instead (a Base stand-in for x402): chain id 8453, "
    "no AI precompiles, OPG (EIP-3009) at its Base address with 1,000,000 OPG per dev account, "
    "Permit2 and the x402 upto proxy at their canonical addresses. Dev keys are allowed on it.",
)


def apply_payments(config: Any, payments: bool) -> Any:
    """The node's config, made the payment chain's when asked."""
    if not payments:
        return config
    from ogkit.payments.chain import payment_config

    return payment_config(config)


def banner_for(payments: bool, banner: Callable[[Any], None]) -> Callable[[Any], None]:
    """The usual banner, after the payment chain's own lines when it is one."""
    if not payments:
        return banner

    def payments_banner(running: Any) -> None:
        from ogkit.payments import contracts as c

        echo = running.say
        echo("")
        echo("ogkit node --payments: the local payment chain (x402 on a Base stand-in)")
        echo(f"  OPG (EIP-3009, EIP-2612): {c.OPG_ADDRESS}")
        echo(f"  Permit2:                  {c.PERMIT2_ADDRESS}")
        echo(f"  x402 upto proxy:          {c.UPTO_PROXY_ADDRESS}")
        echo(f"  Multicall3 (reads):       {c.MULTICALL3_ADDRESS}")
        echo(f"  Facilitator (DEV key):    {c.facilitator_address()}")
        echo("  Signatures made here are valid on Base (same chain id, addresses, domains):")
        echo("  sign only with dev keys. The AI precompiles and settlement are off.")
        banner(running)

    return payments_banner
