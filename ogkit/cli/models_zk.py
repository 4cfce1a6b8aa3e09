"""`ogkit models zk-setup`: prepare a stored model for EZKL proofs, with a progress bar.

Apart from the store commands because it is the one long-running command (seconds to minutes)
and imports EZKL's side of ogkit only when it runs. Registered on the `models` group by
`ogkit.cli.models`.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ogkit.cli.models_common import input_file, not_found, open_store, store_option
from precompiles.host import ModelNotFound


@click.command("zk-setup", short_help="Prepare a model for EZKL proofs.")
@click.argument("model_id")
@click.option(
    "--calibration-data",
    "calibration_file",
    type=click.Path(path_type=Path),
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

    store = open_store(store_dir)
    try:
        cid = store.resolve(model_id).cid
    except ModelNotFound as exc:
        raise not_found(exc, store) from None
    try:
        reused: zk.ZkArtifacts | None = zk.load(store, cid)
    except zk.ZkError:
        reused = None
    calibration = None
    if calibration_file is not None:
        try:
            data = json.loads(input_file(calibration_file).read_text())
        except ValueError as exc:
            raise click.ClickException(f"{calibration_file} is not JSON: {exc}") from None
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
