"""Call every example contract once and show what the model did inside each transaction:
`ape run exercise [--network ...]`. Deploys first on a local chain (or if nothing is
recorded for the network).

On the local chain it also makes one TEE-mode call and then waits for the settlement
service to settle the verifiable inferences (TEE: the enclave's signature, checked through
the relay; ZK: the EZKL proof, checked by the model's verifier contract) — HACA: the calls
above did not wait for any of it."""

import click
from ape.cli import ConnectedProviderCommand, network_option
from rich.console import Console
from rich.table import Table

from ape_opengradient.examples import (
    LOCAL_MODEL_IDS,
    deploy_examples,
    exercise_examples,
    exercise_tee_mode,
    load_deployments,
    pick_account,
)

SETTLEMENT_TIMEOUT_S = 180


def _inference_events(receipt):
    return [log for log in receipt.decode_logs() if log.event_name == "ModelInferenceEvent"]


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--account", "account_alias", default=None, help="Sender (live networks).")
def cli(network, provider, account_alias):
    console = Console(width=max(Console().width, 132))
    account = pick_account(account_alias)
    contracts = load_deployments() or deploy_examples(account, LOCAL_MODEL_IDS)
    results = exercise_examples(contracts, account)
    engine = getattr(provider, "inference_engine", None)
    settles = hasattr(provider, "wait_for_settlement")
    if settles:
        results.append(exercise_tee_mode(contracts, account))

    table = Table("contract", "call", "gas used", "result", title=f"Examples on {network}")
    for item in results:
        table.add_row(item.contract, item.call, f"{item.receipt.gas_used:,}", item.result)
    console.print(table)
    for item in results:
        for event in _inference_events(item.receipt):
            request, response = event.request, event.response
            console.print(f"[bold]{item.contract}[/] ModelInferenceEvent {event.inferenceID}")
            console.print(f"  model {request[1]!r}, mode {request[0]}")
            for name, values, shape in response[0]:
                console.print(f"  output {name} shape {list(shape)}: {[tuple(v) for v in values]}")
            for name, values in response[1]:
                console.print(f"  output {name}: {list(values)}")
            console.print(f"  is_simulation_result {response[3]}")
            if settles and event.inferenceID in engine.records:
                record = provider.wait_for_settlement(event.inferenceID, SETTLEMENT_TIMEOUT_S)
                console.print(f"  settlement {record.settlement}")

    if engine is not None:
        calls = sum(len(_inference_events(item.receipt)) for item in results)
        console.print(f"{calls} inference calls, {engine.model_runs} model runs in this process")
