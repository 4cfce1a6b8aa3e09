"""Deploy Forecaster.

ape run deploy                                   # local chain, first test account, local model
ape run deploy --network opengradient:alpha:node --account me --model-id <CID>
"""

from __future__ import annotations

import click
from ape import project

from ape_opengradient.deploy_inputs import pick_account
from ape_opengradient.script_command import ScriptCommand

LOCAL_MODEL = "forecaster"


@click.command(cls=ScriptCommand)
@click.option("--account", "alias", help="Deployer: an `ape accounts` alias (live networks).")
@click.option("--model-id", help="The model the contract calls (required on live networks).")
def cli(network, alias, model_id):
    if model_id is None:
        if not network.is_local:
            raise click.ClickException(
                f"{network.choice} is a live network: pass --model-id (the model's id there); "
                f"'{LOCAL_MODEL}' exists only in this project's store"
            )
        model_id = LOCAL_MODEL
    sender = pick_account(alias)
    forecaster = sender.deploy(project.Forecaster, model_id)
    click.echo(f"Forecaster at {forecaster.address} calls model {model_id}")
