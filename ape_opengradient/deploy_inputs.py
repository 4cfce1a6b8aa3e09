"""What a deploy script needs from the user on each network: the sender. A local chain has
one (Ape's test accounts); a live network has none, so a missing one is a one-line error
that says what to pass. `ogkit init`'s deploy script imports it from here.

The example contracts' model ids live with the demo, in `og_examples.demo.inputs`."""

from __future__ import annotations

import click
from ape import accounts, chain
from ape.api import AccountAPI


def pick_account(alias: str | None) -> AccountAPI:
    """Ape's first test account on a local chain; the named `ape accounts` key elsewhere."""
    if chain.provider.network.is_local:
        return accounts.test_accounts[0]
    choice = chain.provider.network.choice
    if not alias:
        raise click.ClickException(
            f"{choice} is a live network: name the sender with --account <alias> "
            "(`ape accounts list` shows yours)"
        )
    try:
        return accounts.load(alias)
    except KeyError:
        raise click.ClickException(
            f"no account named {alias!r}: `ape accounts list` shows yours, "
            f"`ape accounts import {alias}` adds one"
        ) from None
