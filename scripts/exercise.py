"""Call every example contract once and show what the model did inside each transaction:
`ape run exercise [--network ...]`. Deploys first on a local chain (or if nothing is
recorded for the network).

On the local chain it also makes one TEE-mode call and then waits for the settlement
service to settle the verifiable inferences (TEE: the enclave's signature, checked through
the relay; ZK: the EZKL proof, checked by the model's verifier contract) — HACA: the calls
above did not wait for any of it."""

import click
from ape.cli import network_option
from rich.console import Console
from rich.table import Table

from ape_opengradient.deploy_inputs import pick_account
from ape_opengradient.script_command import ScriptCommand
from og_examples.demo.contracts import (
    deploy_examples,
    exercise_examples,
    exercise_tee_mode,
    load_deployments,
)
from og_examples.demo.inputs import LOCAL_MODEL_IDS

SETTLEMENT_TIMEOUT_S = 180


def _inference_events(receipt, name="ModelInferenceEvent"):
    return [log for log in receipt.decode_logs() if log.event_name == name]


def _recorded(provider):
    """The examples `ape run deploy` recorded for a live network (None on a local chain,
    where they are deployed afresh): never the local model names on a live network."""
    if provider.network.is_local:
        return None
    if recorded := load_deployments():
        return recorded
    raise click.ClickException(
        f"nothing deployed on {provider.network.choice} yet: run `ape run deploy --network "
        f"{provider.network_choice} --account <alias>` with the model ids first"
    )


@click.command(cls=ScriptCommand)
@network_option()
@click.option("--account", "account_alias", default=None, help="Sender (live networks).")
def cli(provider, account_alias):
    """Call each example once. Shows what its model did; deploys first on a local chain."""
    console = Console(width=max(Console().width, 132))
    recorded = _recorded(provider)
    account = pick_account(account_alias)
    contracts = recorded or deploy_examples(account, LOCAL_MODEL_IDS)
    results = exercise_examples(contracts, account)
    engine = getattr(provider, "inference_engine", None)
    settles = hasattr(provider, "wait_for_settlement")
    if settles:
        results.append(exercise_tee_mode(contracts, account))

    table = Table(
        "contract", "call", "gas used", "result", title=f"Examples on {provider.network_choice}"
    )
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
        for event in _inference_events(item.receipt, "LLMCompletionEvent"):
            console.print(f"[bold]{item.contract}[/] LLMCompletionEvent {event.inferenceID}")
            console.print(f"  model {event.request[1]!r}, mode {event.request[0]}")
            console.print(f"  answer {event.response[0]!r}")

    if engine is not None:
        calls = sum(len(_inference_events(item.receipt)) for item in results)
        console.print(f"{calls} inference calls, {engine.model_runs} model runs in this process")
