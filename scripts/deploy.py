"""Deploy the example contracts: `ape run deploy [--network opengradient:alpha:node]`.

On a local AI chain the models are the store's examples and the deployer is Ape's first
test account. On a live network every model id must be given (the ids it serves, e.g.
`--volatility-model <walrus blob id>`; `--llm-model` is optional there and deploys
LLMAssistant), and the deployer is the `ape accounts` alias given by `--account`.
"""

import click
from ape.cli import network_option

from ape_opengradient.deploy_inputs import pick_account
from ape_opengradient.script_command import ScriptCommand
from og_examples.demo.contracts import deploy_examples, deployments_file
from og_examples.demo.inputs import model_ids


@click.command(cls=ScriptCommand)
@network_option()
@click.option("--account", "account_alias", default=None, help="Deployer (live networks).")
@click.option(
    "--volatility-model", default=None, help="VolatilityVault's model [local: volatility]"
)
@click.option(
    "--credit-risk-model", default=None, help="RiskLendingPool's model [local: credit_risk]"
)
@click.option("--sentiment-model", default=None, help="SentimentGate's model [local: sentiment]")
@click.option(
    "--upstream-model",
    default=None,
    help="UpstreamStyleConsumer's model [local: the upstream_demo alias]",
)
@click.option(
    "--llm-model", default=None, help="LLMAssistant's LLM [local: tiny-llm; live: optional]"
)
def cli(
    provider,
    account_alias,
    volatility_model,
    credit_risk_model,
    sentiment_model,
    upstream_model,
    llm_model,
):
    """Deploy the example contracts. On a live network give --account and every model id."""
    ids = model_ids(
        {
            "volatility": volatility_model,
            "credit_risk": credit_risk_model,
            "sentiment": sentiment_model,
            "upstream_demo": upstream_model,
            "llm": llm_model,
        }
    )
    account = pick_account(account_alias)
    deployed = deploy_examples(account, ids)
    for name, contract in deployed.items():
        click.echo(f"{name:22} {contract.address}")
    if not provider.network.is_local:
        click.echo(f"addresses saved to {deployments_file()}")
