"""`ogkit export-mocks`: recorded inferences as a Solidity mock for `forge test`."""

from __future__ import annotations

from pathlib import Path

import click

from ogkit.cli.inference import call_node, rpc_option


@click.command("export-mocks", short_help="Write recorded inferences as a Foundry test mock.")
@rpc_option
@click.option(
    "--out",
    default="test/OGInferenceMock.sol",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Solidity file to write.",
)
@click.option("--from-block", default=0, show_default=True, help="First block to read.")
@click.option("--to-block", type=int, default=None, help="Last block to read [default: head].")
def export_mocks(rpc_url: str, out: Path, from_block: int, to_block: int | None) -> None:
    """Read every model call mined on the node (its exact calldata and output, from the
    transactions' call traces) and write a contract that answers them. In a forge test,
    `OGInferenceMockInstaller.install()` in setUp() puts it at 0xF4 with `vm.etch`, so the
    contract under test gets the chain's real model outputs."""
    from ogkit.foundry import mocks

    def rpc(method: str, *params: object) -> object:
        return call_node(rpc_url, method, *params)

    last = to_block if to_block is not None else int(str(rpc("eth_blockNumber")), 16)
    if from_block > last:
        raise click.ClickException(f"--from-block {from_block} is after block {last}")
    export = mocks.recorded_calls(rpc, from_block, last)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mocks.render(export, f"{rpc_url} blocks {from_block}..{last}"))
    click.echo(f"wrote {out}: {len(export.calls)} recorded calls from blocks {from_block}..{last}")
    if export.conflicts:
        click.echo(
            f"note: {export.conflicts} calls repeated an earlier input with another output "
            "(a re-pointed alias?); the first answer is kept",
            err=True,
        )
