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


@models.command("add-llm")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--tokenizer",
    "tokenizer_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The model's tokenizer in Hugging Face tokenizer.json format.",
)
@click.option("--name", required=True, help="Name the LLM is called by (an alias).")
@click.option("--eos-token", default="<|end|>", show_default=True, help="Token that ends a reply.")
@click.option("--context-length", default=2048, show_default=True, help="Max tokens in a sequence.")
@click.option("--alias", "aliases", multiple=True, help="Also name it this (repeatable).")
@store_option
def add_llm_command(
    model_file: Path,
    tokenizer_file: Path,
    name: str,
    eos_token: str,
    context_length: int,
    aliases: tuple[str, ...],
    store_dir: Path | None,
) -> None:
    """Store an ONNX causal LM (input_ids -> logits) and its tokenizer; print the bundle CID.

    The contract calls it with runLLMCompletion / runLLMChat and modelCID = the CID or NAME.
    """
    from ogkit.llm.bundle import add_llm
    from precompiles.backend import ModelExecutionError

    try:
        cid = add_llm(
            ModelStore(store_dir),
            model_file,
            tokenizer_file,
            name,
            eos_token=eos_token,
            context_length=context_length,
            aliases=aliases,
        )
    except ModelExecutionError as exc:
        raise click.ClickException(f"not a usable LLM: {exc}") from None
    click.echo(cid)


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


@models.command("zk-setup")
@click.argument("model_id")
@click.option(
    "--calibration-data",
    "calibration_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON calibration inputs: {input name: values} or a list of them "
    "[default for the example models: their sample input at a few scales].",
)
@store_option
def zk_setup(model_id: str, calibration_file: Path | None, store_dir: Path | None) -> None:
    """Set MODEL_ID (CID or alias) up for EZKL proofs: settings, circuit, keys, EVM verifier.

    Artifacts go to <store>/zk/<cid>/ and are reused on the next run. The KZG SRS is made
    locally with ezkl.gen_srs: DEV ONLY, INSECURE (its maker can forge proofs).
    """
    import json

    import numpy as np
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ogkit import zk

    store = ModelStore(store_dir)
    try:
        cid = store.resolve(model_id).cid
    except ModelNotFound as exc:
        raise click.ClickException(f"no stored model {exc}") from None
    try:
        reused: zk.ZkArtifacts | None = zk.load(store, cid)
    except zk.ZkError:
        reused = None
    calibration = None
    if calibration_file is not None:
        data = json.loads(calibration_file.read_text())
        samples = data if isinstance(data, list) else [data]
        calibration = [{k: np.asarray(v, dtype=np.float32) for k, v in s.items()} for s in samples]
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]zk-setup[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        task = progress.add_task("checking for an earlier setup", total=len(zk.STEPS))

        def on_step(index: int, name: str) -> None:
            progress.update(task, completed=index, description=name)

        try:
            artifacts = zk.setup(store, cid, calibration_inputs=calibration, on_step=on_step)
        except zk.ZkError as exc:
            raise click.ClickException(str(exc)) from None
        progress.update(task, completed=len(zk.STEPS), description="done")
    manifest = artifacts.manifest
    click.echo(f"cid        {cid}")
    click.echo(f"directory  {artifacts.directory}")
    click.echo(f"logrows    {artifacts.logrows}")
    click.echo(f"srs        {artifacts.srs_path.name}  (gen_srs: DEV ONLY, INSECURE)")
    verifier = manifest["verifier"]
    click.echo(
        f"verifier   {verifier['contract']}.{verifier['function']}  "
        f"{verifier['runtime_size']:,} B runtime"
    )
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in manifest["timings_s"].items())
    click.echo(f"{'reused; setup took' if reused else 'setup took'} {timings}")
