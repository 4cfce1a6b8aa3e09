"""The click command class of our `ape run` scripts: Ape's connected-provider command, with
the errors a user fixes by changing an option shown as one line.

Ape prints a connection or account error from a script with every stack frame under the
project folder, which is all of them when the virtualenv sits inside the project.
"""

from __future__ import annotations

from typing import Any

import click
from ape.cli import ConnectedProviderCommand
from ape.exceptions import AccountsError, NetworkError, ProviderError


class ScriptCommand(ConnectedProviderCommand):
    """`@click.command(cls=ScriptCommand)`: connects like Ape's, fails in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ProviderError, NetworkError, AccountsError) as err:
            raise click.ClickException(str(err)) from None
