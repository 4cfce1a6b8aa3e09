"""Deploy the example contracts: `ape run deploy [--network opengradient:alpha:node]`.

On the local AI chain the models are the store's examples. On a live network pass the
model ids it serves, e.g. `--volatility-model <walrus blob id>`; the deployer is the
account named by `--account` (an `ape accounts` alias).
"""

import click
from ape.cli import ConnectedProviderCommand, network_option

from ape_opengradient.examples import (
    LOCAL_MODEL_IDS,
    deploy_examples,
    deployments_file,
    pick_account,
)


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--account", "account_alias", default=None, help="Deployer (live networks).")
@click.option("--volatility-model", default=LOCAL_MODEL_IDS["volatility"])
@click.option("--credit-risk-model", default=LOCAL_MODEL_IDS["credit_risk"])
@click.option("--sentiment-model", default=LOCAL_MODEL_IDS["sentiment"])
@click.option("--upstream-model", default=LOCAL_MODEL_IDS["upstream_demo"])
def cli(
    network,
    provider,
    account_alias,
    volatility_model,
    credit_risk_model,
    sentiment_model,
    upstream_model,
):
    account = pick_account(account_alias)
    deployed = deploy_examples(
        account,
        {
            "volatility": volatility_model,
            "credit_risk": credit_risk_model,
            "sentiment": sentiment_model,
            "upstream_demo": upstream_model,
        },
    )
    for name, contract in deployed.items():
        click.echo(f"{name:22} {contract.address}")
    if not provider.network.is_local:
        click.echo(f"addresses saved to {deployments_file()}")
