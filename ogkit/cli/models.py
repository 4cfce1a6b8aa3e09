"""`ogkit models …`: put models in the content-addressed store and name them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ogkit.cli.models_common import (
    ModelsGroup,
    input_file,
    not_found,
    open_store,
    store_option,
)
from ogkit.cli.models_zk import zk_setup
from ogkit.models.cid import cid_for
from ogkit.models.store import ModelStore
from precompiles.host import ModelExecutionError, ModelNotFound

if TYPE_CHECKING:
    from ogkit.llm.bundle import LLMBundle


@click.group(cls=ModelsGroup)
def models() -> None:
    """Manage the content-addressed model store."""


@models.command("add", short_help="Store an ONNX model file and print its CID.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--alias", "aliases", multiple=True, help="Also name it this (repeatable).")
@click.option(
    "--max-loop-iterations",
    type=click.IntRange(min=1),
    default=None,
    help="Admit a Loop whose trip count is an input: calls pay for this many iterations, "
    "and a call asking for more reverts.",
)
@store_option
def add(
    file: Path, aliases: tuple[str, ...], max_loop_iterations: int | None, store_dir: Path | None
) -> None:
    """Store FILE (an ONNX model) and print its CID (CIDv1, sha2-256).

    The file must pass onnx's checker and load in onnxruntime, and what it computes must be
    priced from its input shapes alone (no loop whose count is an input, no tensor sized by
    the input's values) within the compute and memory limits of 0xF4; the verdict and the
    cost of the smallest call go in the store's manifest. Adding a stored file again repairs
    the stored copy if its bytes were damaged.
    """
    from ogkit.models.manifest import analyse, write_manifest
    from ogkit.models.validate import InvalidModel, Refused, check_onnx, refuse_unmeterable

    input_file(file)
    try:
        check_onnx(file, before_loading=lambda data: refuse_unmeterable(data, max_loop_iterations))
    except InvalidModel as exc:
        raise click.ClickException(
            f"cannot add {file}: {exc}; give an ONNX model file "
            "(an LLM goes in with `ogkit models add-llm`)"
        ) from None
    except Refused as exc:
        raise click.ClickException(f"cannot add {file}: {exc}") from None
    store = open_store(store_dir)
    data = file.read_bytes()
    cid = cid_for(data)
    stored = store.blobs / cid
    damaged = stored.is_file() and not store.intact(store.resolve(cid))
    manifest = analyse(data, max_loop_iterations)
    if not manifest.admitted:  # a non-standard operator onnxruntime does know
        raise click.ClickException(f"cannot add {file}: {manifest.reason}")
    click.echo(store.add(data, *aliases))
    write_manifest(store.root, cid, manifest)
    if damaged:
        click.echo(f"Repaired the stored copy of {cid}: its bytes no longer matched.", err=True)


@models.command("add-llm", short_help="Store an ONNX causal LM and its tokenizer.")
@click.argument("model_file", type=click.Path(path_type=Path))
@click.option(
    "--tokenizer",
    "tokenizer_file",
    required=True,
    type=click.Path(path_type=Path),
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
    from precompiles.host import ModelExecutionError

    input_file(model_file)
    input_file(tokenizer_file)
    try:
        cid = add_llm(
            open_store(store_dir),
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


@models.command("alias", short_help="Point an alias (a name or Qm… id) at a model.")
@click.argument("alias")
@click.argument("model_id")
@store_option
def alias(alias: str, model_id: str, store_dir: Path | None) -> None:
    """Point ALIAS (an alpha-testnet id such as Qm…, or a name) at MODEL_ID."""
    store = open_store(store_dir)
    try:
        store.alias(alias, store.resolve(model_id).cid)
    except ModelNotFound as exc:
        raise not_found(exc, store) from None
    except ValueError as exc:
        raise click.ClickException(f"{exc}: an alias has no leading or trailing space") from None
    click.echo(f"{alias} -> {store.resolve(alias).cid}")


@models.command("list", short_help="List stored models and their aliases.")
@store_option
def list_models(store_dir: Path | None) -> None:
    """List stored models and the aliases that point to them."""
    store = open_store(store_dir)
    by_cid: dict[str, list[str]] = {}
    for name, cid in store.aliases().items():
        by_cid.setdefault(cid, []).append(name)
    rows = [
        (model.cid, model.size_bytes, ", ".join(sorted(by_cid.get(model.cid, []))) or "-")
        for model in store.list()
    ]
    console = Console()
    if not console.is_terminal:  # pipes and CI: whole CIDs, one model per line
        click.echo("CID\tsize\taliases")
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
    console.print(f"model store: {store.root}", soft_wrap=True, highlight=False)


@models.command("show", short_help="A model's tensors, size, CID, aliases and gas per call.")
@click.argument("model_id")
@store_option
def show(model_id: str, store_dir: Path | None) -> None:
    """What MODEL_ID (a CID or alias) takes and returns, and what a call to it costs.

    Gas is that of one 0xF4 call (the precompile alone, event included) with inputs of
    ones and every dynamic dimension 1; it grows with input and output elements.
    """
    from ogkit.models.describe import describe, shape_text

    store = open_store(store_dir)
    try:
        model = store.resolve(model_id)
    except ModelNotFound as exc:
        raise not_found(exc, store) from None
    aliases = store.aliases_of(model.cid)
    click.echo(f"cid      {model.cid}")
    click.echo(f"size     {model.size_bytes:,} B")
    click.echo(f"aliases  {', '.join(aliases) or '-'}")
    if _show_llm(store, model.cid):
        return
    try:
        info = describe(store, model_id)
    except ModelExecutionError as exc:
        raise click.ClickException(f"{model_id} is not a runnable ONNX model: {exc}") from None
    for title, tensors in (("inputs", info.inputs), ("outputs", info.outputs)):
        click.echo(title)
        width = max((len(t.name) for t in tensors), default=0)
        for tensor in tensors:
            click.echo(f"  {tensor.name:{width}}  {tensor.dtype:7} {shape_text(tensor.shape)}")
    gas = "n/a" if info.gas is None else f"{info.gas:,}"
    click.echo(f"gas      {gas} ({info.gas_note})")
    _show_compute(store, model.cid)


def _show_compute(store: ModelStore, cid: str) -> None:
    """The static cost of the smallest call, from the store's manifest (made if missing)."""
    from ogkit.models.cost import describe as describe_cost
    from ogkit.models.manifest import ensure_manifest
    from precompiles.host import ComputeCost

    manifest = ensure_manifest(store.root, cid, store.read(store.resolve(cid)))
    bound = manifest.max_loop_iterations
    note = f"; loops bounded at {bound:,} iterations" if bound else ""
    cost = describe_cost(ComputeCost(**manifest.cost))
    click.echo(f"compute  {manifest.compute_gas:,} gas of it: {cost}{note}")


def _show_llm(store: ModelStore, cid: str) -> bool:
    """Print an LLM bundle's parts and gas terms; False if `cid` is no LLM bundle."""
    from ogkit.llm.bundle import read_bundle
    from precompiles import gas

    try:
        bundle = read_bundle(store, cid)
    except (ModelNotFound, ModelExecutionError):
        return False
    click.echo("kind     LLM: call it with runLLMCompletion or runLLMChat")
    click.echo(f"parts    {bundle.model} (ONNX), {bundle.tokenizer} (tokenizer)")
    click.echo(f"context  {bundle.context_length:,} tokens")
    click.echo(
        f"gas      {gas.BASE + gas.LLM_BASE:,} + {gas.PER_PROMPT_BYTE} per prompt byte "
        f"+ {gas.PER_GENERATED_TOKEN} per generated token + weight bytes x token positions "
        f"/ {gas.LLM_WEIGHT_BYTES_PER_GAS:,} + the event's log"
    )
    return True


@models.command("remove", short_help="Delete a model and the aliases pointing at it.")
@click.argument("model_id")
@store_option
def remove(model_id: str, store_dir: Path | None) -> None:
    """Delete MODEL_ID (a CID or alias) from the store, with every alias that points to it.

    Removing an LLM removes its ONNX file and tokenizer too, unless another LLM uses them;
    a part of an LLM is not removed on its own (the LLM would stop working).
    """
    store = open_store(store_dir)
    try:
        cid = store.resolve(model_id).cid
    except ModelNotFound as exc:
        raise not_found(exc, store) from None
    bundles = _llm_bundles(store)
    users = [b for b in bundles if cid in (b.model, b.tokenizer)]
    if users:
        raise click.ClickException(
            f"{model_id} is a part of the LLM {users[0].name} ({users[0].cid}); "
            "remove the LLM instead"
        )
    removed = [store.remove(cid)]
    this = next((b for b in bundles if b.cid == cid), None)
    if this is not None:  # an LLM: its parts go too, unless another LLM shares them
        shared = {p for b in bundles if b.cid != cid for p in (b.model, b.tokenizer)}
        for part in dict.fromkeys((this.model, this.tokenizer)):
            if part not in shared and (store.blobs / part).is_file():
                removed.append(store.remove(part))
    for gone, aliases in removed:
        dropped = f" and its aliases {', '.join(aliases)}" if aliases else ""
        click.echo(f"Removed {gone}{dropped}.")


def _llm_bundles(store: ModelStore) -> list[LLMBundle]:
    """Every LLM manifest in the store (small files only: a manifest is under 64 KiB)."""
    from ogkit.llm.bundle import read_bundle

    bundles = []
    for model in store.list():
        if model.size_bytes <= 1 << 16:
            try:
                bundles.append(read_bundle(store, model.cid))
            except (ModelNotFound, ModelExecutionError):
                pass
    return bundles


@models.command("verify", short_help="Re-hash every stored model; fail if any is damaged.")
@store_option
def verify(store_dir: Path | None) -> None:
    """Re-hash every stored file against its CID; exit 1 if any no longer matches.

    A damaged copy is repaired by adding the original file again.
    """
    store = open_store(store_dir)
    store.aliases()  # a broken alias table is damage too
    stored = store.list()
    bad = store.verify()
    for model in bad:
        aliases = ", ".join(store.aliases_of(model.cid)) or "-"
        click.echo(f"DAMAGED  {model.cid}  ({aliases})")
    if bad:
        raise click.ClickException(
            f"{len(bad)} of {len(stored)} stored models damaged (bytes not matching the CID); "
            "add the original file again (`ogkit models add FILE`) or `ogkit models remove ID`"
        )
    click.echo(f"All {len(stored)} stored models match their CID ({store.root}).")


@models.command("build-examples", short_help="Build the example models and store them.")
@store_option
def build_examples_command(store_dir: Path | None) -> None:
    """Build the example ONNX models from generated data and store them under their names."""
    # Lazily, here: the examples package sits on top of ogkit (it imports ogkit), so ogkit
    # never imports it at module level.
    from og_examples.install import example_aliases, install_examples

    store = open_store(store_dir)
    for name, cid in install_examples(store).items():
        click.echo(f"{', '.join(example_aliases(name)):14} {cid}")


models.add_command(zk_setup)
