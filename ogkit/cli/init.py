"""`ogkit init [DIR]`: a new Ape project that calls a model and passes `ape test` at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import click


@click.command("init", short_help="Create a new Ape project that calls a model.")
@click.argument(
    "directory", default=".", type=click.Path(file_okay=True, path_type=Path), metavar="[DIR]"
)
@click.option("--force", is_flag=True, help="Overwrite files that differ from the template.")
@click.option(
    "--no-toolchain", is_flag=True, help="Skip installing the offline solc (`ogkit toolchain`)."
)
def init(directory: Path, force: bool, no_toolchain: bool) -> None:
    """Create an Ape project in DIR (default: here): a contract that calls a model, a script
    that builds the model from generated data, tests, a deploy script, `.gitignore` and a
    Foundry `remappings.txt`. Then install the compiler and build the model, so `ape test`
    passes at once. Refuses to overwrite files unless --force; a second run changes nothing."""
    from ogkit import scaffold, solidity
    from ogkit import toolchain as tc

    try:
        plan = scaffold.create(directory, force=force)
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    for relative in plan.written:
        click.echo(f"  wrote      {relative}")
    if plan.unchanged:
        click.echo(f"  unchanged  {len(plan.unchanged)} files")
    if not no_toolchain:
        try:
            folder = tc.install()
        except tc.ToolchainError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"  compiler   {folder / tc.WRAPPER_NAME}")
        if shutil.which("forge"):
            linked = tc.install_for_foundry(folder / tc.WRAPPER_NAME)
            if linked is not None:
                click.echo(f"  forge      solc {solidity.SOLC_VERSION} -> {linked}")
    # Foundry reads the interfaces through remappings.txt, before Ape has ever compiled
    solidity.materialise(directory / "contracts")
    cid = scaffold.build_model(directory)
    click.echo(f"  model      forecaster -> {cid}")
    where = "" if directory.resolve() == Path.cwd() else f"cd {directory} && "
    click.echo(f"\nNext: {where}ape test   (or: ape test --network opengradient:local:node)")
