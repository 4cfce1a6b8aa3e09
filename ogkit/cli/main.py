"""The `ogkit` command line."""

from __future__ import annotations

import click

from ogkit.cli.lazy import LazyCommand, LazyGroup

COMMANDS = {
    "inference": LazyCommand(
        "ogkit.cli.inference:inference", "Read inference records from a running node."
    ),
    "export-mocks": LazyCommand(
        "ogkit.cli.export_mocks:export_mocks", "Write recorded inferences as a Foundry test mock."
    ),
    "facilitator": LazyCommand("ogkit.cli.facilitator:facilitator", "Serve the x402 facilitator."),
    "gateway": LazyCommand(
        "ogkit.cli.gateway:gateway", "Serve TEE-signed LLM answers (OpenAI API)."
    ),
    "llm": LazyCommand("ogkit.cli.llm_verify:llm", "Verify TEE-signed LLM answers."),
    "init": LazyCommand("ogkit.cli.init:init", "Create a new Ape project that calls a model."),
    "models": LazyCommand("ogkit.cli.models:models", "Manage the content-addressed model store."),
    "node": LazyCommand("ogkit.cli.node:node", "Run the AI chain as a local JSON-RPC node."),
    "toolchain": LazyCommand(
        "ogkit.cli.toolchain:toolchain", "Install the offline Solidity compiler."
    ),
}
"""Each command's module is imported only when it runs (or its own --help is asked)."""


@click.group("ogkit", cls=LazyGroup, lazy_commands=COMMANDS)
@click.version_option(package_name="ape-opengradient")
def main() -> None:
    """ogkit: a local OpenGradient-compatible AI chain and its tools."""
