"""What every `ogkit models …` command shares: the --store option, opening the store, and
one-line errors for missing files, unknown models and a damaged store.

Apart from the commands so that commands defined in other modules (`models_zk`) use the same.
"""

from __future__ import annotations

from pathlib import Path

import click

from ogkit.models.store import CorruptAliases, CorruptModel, ModelStore
from ogkit.project import APE_CONFIG, STORE_OPTION_HELP, find_project_root
from precompiles.host import ModelNotFound

store_option = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="OGKIT_MODEL_STORE",
    default=None,
    help=STORE_OPTION_HELP,
)


class InputFileError(click.ClickException):
    """A missing input file: one line, and the usage-error exit code click gives it."""

    exit_code = 2


def input_file(path: Path) -> Path:
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise InputFileError(f"File '{path}' {what}; give the path of a model file.")
    return path


def open_store(store_dir: Path | None) -> ModelStore:
    """The store a command works on; outside any project, say on stderr which one it is."""
    store = ModelStore(store_dir)
    if store_dir is None and find_project_root() is None:
        click.echo(
            f"No Ape project here (no {APE_CONFIG} in {Path.cwd()} or above): "
            f"using the model store in {store.root}",
            err=True,
        )
    return store


def not_found(exc: ModelNotFound, store: ModelStore) -> click.ClickException:
    model_id = exc.args[0] if exc.args else ""
    if exc.suggestion:
        return click.ClickException(f"model not found: {model_id}{exc.hint()}")
    if not store.list():
        return click.ClickException(
            f"model not found: {model_id}; the store {store.root} is empty: add a model with "
            "`ogkit models add FILE`"
        )
    return click.ClickException(
        f"model not found: {model_id}; `ogkit models list` shows what {store.root} holds"
    )


class ModelsGroup(click.Group):
    """Turns the store's own errors into one line each, whichever command met them."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (CorruptAliases, CorruptModel) as exc:
            raise click.ClickException(str(exc)) from None
