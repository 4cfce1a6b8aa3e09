"""`ogkit inference show|list`: inference records, read from a running `ogkit node`."""

from __future__ import annotations

import json

import click
from web3 import Web3

rpc_option = click.option(
    "--rpc-url",
    default="http://127.0.0.1:8545",
    show_default=True,
    envvar="OGKIT_RPC_URL",
    help="The ogkit node to ask [env OGKIT_RPC_URL].",
)


def call_node(rpc_url: str, method: str, *params: object) -> object:
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    try:
        reply = w3.provider.make_request(method, list(params))
    except Exception as exc:  # noqa: BLE001 - connection errors come in many types
        raise click.ClickException(f"cannot reach {rpc_url}: {exc}") from None
    if "error" in reply:
        raise click.ClickException(f"{method}: {reply['error'].get('message')}")
    return reply["result"]


@click.group(short_help="Read inference records from a running node.")
def inference() -> None:
    """Inference records: model, input/output hashes, mode, transaction, settlement."""


@inference.command("show")
@click.argument("inference_id")
@rpc_option
def show(inference_id: str, rpc_url: str) -> None:
    """Print the record of INFERENCE_ID as JSON."""
    record = call_node(rpc_url, "ogkit_getInferenceRecord", inference_id)
    if record is None:
        raise click.ClickException(f"no inference {inference_id} on {rpc_url}")
    click.echo(json.dumps(record, indent=2))


@inference.command("list", short_help="One line per inference in recent blocks.")
@click.option("--blocks", default=20, show_default=True, help="How many recent blocks to scan.")
@rpc_option
def list_records(blocks: int, rpc_url: str) -> None:
    """One line per inference in the most recent blocks: id, block, mode, settlement."""
    head = int(str(call_node(rpc_url, "eth_blockNumber")), 16)
    for number in range(max(0, head - blocks + 1), head + 1):
        for record in call_node(rpc_url, "ogkit_getBlockInferenceRecords", hex(number)):  # type: ignore[union-attr]
            click.echo(
                f"{record['inferenceId']}\t{number}\t{record.get('modelId', '')}\t"
                f"mode {record['mode']}\t{record.get('settlement', '')}"
            )
