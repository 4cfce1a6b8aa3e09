"""The `ogkit` command line."""

from __future__ import annotations

import click

from ogkit.cli.inference import inference
from ogkit.cli.init import init
from ogkit.cli.models import models
from ogkit.cli.node import node
from ogkit.cli.toolchain import toolchain


@click.group()
@click.version_option(package_name="ape-opengradient")
def main() -> None:
    """ogkit: a local OpenGradient-compatible AI chain and its tools."""


main.add_command(inference)
main.add_command(init)
main.add_command(models)
main.add_command(node)
main.add_command(toolchain)
