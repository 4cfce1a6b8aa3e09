"""`ogkit models …`: put models in the content-addressed store and name them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ogkit.models.install import example_aliases, install_examples
from ogkit.models.store import ModelStore
from precompiles.backend import ModelNotFound

store_option = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="OGKIT_MODEL_STORE",
    default=None,
    help="Model store directory [env OGKIT_MODEL_STORE; default .ogkit/models].",
)


@click.group()
def models() -> None:
    """Manage the content-addressed model store."""


@models.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--alias", "aliases", multiple=True, help="Also name it this (repeatable).")
@store_option
def add(file: Path, aliases: tuple[str, ...], store_dir: Path | None) -> None:
    """Store FILE and print its CID (CIDv1, sha2-256)."""
    click.echo(ModelStore(store_dir).add(file, *aliases))


@models.command("alias")
@click.argument("alias")
@click.argument("model_id")
@store_option
def alias(alias: str, model_id: str, store_dir: Path | None) -> None:
    """Point ALIAS (an alpha-testnet id such as Qm…, or a name) at MODEL_ID."""
    store = ModelStore(store_dir)
    try:
        store.alias(alias, store.resolve(model_id).cid)
    except ModelNotFound as exc:
        raise click.ClickException(f"no stored model {exc}") from None
    click.echo(f"{alias} -> {store.resolve(alias).cid}")


@models.command("list")
@store_option
def list_models(store_dir: Path | None) -> None:
    """List stored models and the aliases that point to them."""
    store = ModelStore(store_dir)
    by_cid: dict[str, list[str]] = {}
    for name, cid in store.aliases().items():
        by_cid.setdefault(cid, []).append(name)
    rows = [
        (model.cid, model.size_bytes, ", ".join(sorted(by_cid.get(model.cid, []))))
        for model in store.list()
    ]
    console = Console()
    if not console.is_terminal:  # pipes and CI: whole CIDs, one model per line
        for cid, size, aliases in rows:
            click.echo(f"{cid}\t{size}\t{aliases}")
        return
    table = Table()
    table.add_column("CID", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("aliases", overflow="fold")
    for cid, size, aliases in rows:
        table.add_row(cid, f"{size:,} B", aliases)
    console.print(table)


@models.command("build-examples")
@store_option
def build_examples_command(store_dir: Path | None) -> None:
    """Build the example ONNX models from generated data and store them under their names."""
    store = ModelStore(store_dir)
    for name, cid in install_examples(store).items():
        click.echo(f"{', '.join(example_aliases(name)):14} {cid}")
