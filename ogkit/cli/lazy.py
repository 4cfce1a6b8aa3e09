"""A click group that imports a subcommand's module only when that subcommand runs.

`ogkit --help` used to import the chain, onnxruntime and web3 (1.4-2.1 s) just to print
one line per command; with static summaries it imports nothing beyond click.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    target: str
    """"package.module:attribute" of the click command."""
    summary: str
    """The line `--help` shows: static, so listing commands imports none of them."""


def _unavailable(name: str, module: str) -> click.Command:
    """Stands in for a command whose module this install does not have (yet)."""

    @click.command(name, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:  # noqa: ARG001 - swallows whatever was given
        raise click.ClickException(
            f"`ogkit {name}` is not available in this install ({module} is missing); "
            "upgrade ape-opengradient"
        )

    return command


class LazyGroup(click.Group):
    def __init__(self, *args, lazy_commands: dict[str, LazyCommand], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = lazy.target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # the module is there but broken: a bug to see, not to hide
            return _unavailable(cmd_name, module_name)
        return getattr(module, attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            lazy = self.lazy_commands.get(name)
            if lazy is not None:
                rows.append((name, lazy.summary))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
