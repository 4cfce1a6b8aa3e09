"""Deploy Forecaster.

    ape run deploy                                   # local chain, first test account, local model
    ape run deploy --network opengradient:alpha:node --account me --model-id <CID>
"""

from __future__ import annotations

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand
from ape.exceptions import AccountsError

LOCAL_MODEL = "forecaster"


@click.command(cls=ConnectedProviderCommand)
@click.option("--account", "alias", help="Account alias (`ape accounts list`); local: test #0.")
@click.option("--model-id", help="The model the contract calls (required on live networks).")
def cli(ecosystem, network, alias, model_id):
    live = not network.is_local
    if model_id is None:
        if live:
            raise click.UsageError(
                f"{ecosystem.name}:{network.name} is a live network: pass --model-id "
                f"(the model's id there); '{LOCAL_MODEL}' exists only in the local store"
            )
        model_id = LOCAL_MODEL
    if alias is None:
        if live:
            raise click.UsageError("pass --account ALIAS (see `ape accounts list`)")
        sender = accounts.test_accounts[0]
    else:
        try:
            sender = accounts.load(alias)
        except (AccountsError, KeyError):
            known = ", ".join(a.alias for a in accounts if a.alias) or "none"
            raise click.UsageError(f"no account '{alias}' (known: {known})") from None
    forecaster = sender.deploy(project.Forecaster, model_id)
    click.echo(f"Forecaster at {forecaster.address} calls model {model_id}")
