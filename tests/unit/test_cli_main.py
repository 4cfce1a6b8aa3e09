"""`ogkit` itself: --help lists every command without importing any, and no summary is cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from ogkit.cli import main
from ogkit.cli.lazy import LazyCommand, LazyGroup
from ogkit.cli.main import COMMANDS

HELP = """\
Usage: ogkit [OPTIONS] COMMAND [ARGS]...

  ogkit: a local OpenGradient-compatible AI chain and its tools.

Options:
  --version  Show the version and exit.
  --help     Show this message and exit.

Commands:
  export-mocks  Write recorded inferences as a Foundry test mock.
  facilitator   Serve the x402 facilitator.
  gateway       Serve TEE-signed LLM answers (OpenAI API).
  inference     Read inference records from a running node.
  init          Create a new Ape project that calls a model.
  llm           Verify TEE-signed LLM answers.
  models        Manage the content-addressed model store.
  node          Run the AI chain as a local JSON-RPC node.
  toolchain     Install the offline Solidity compiler.
"""


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"], env={"COLUMNS": "80"})
    assert (result.exit_code, result.output) == (0, HELP)


def test_help_imports_no_command() -> None:
    """A fresh interpreter: what `ogkit --help` loads is click and the group, nothing heavy."""
    probe = (
        "import sys\n"
        "from ogkit.cli import main\n"
        "try:\n"
        "    main(['--help'], prog_name='ogkit')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "80"},
    )
    loaded = set(json.loads(done.stderr))
    heavy = {
        "ogkit.cli.export_mocks",
        "ogkit.cli.facilitator",
        "ogkit.cli.gateway",
        "ogkit.cli.inference",
        "ogkit.cli.models",
        "ogkit.cli.node",
        "ogkit.cli.init",
        "ogkit.cli.toolchain",
        "numpy",
        "onnxruntime",
        "web3",
        "rich",
        "eth",
        "precompiles",
    }
    assert loaded & heavy == set()
    assert done.stdout == HELP


def test_the_installed_script() -> None:
    script = Path(sys.executable).parent / "ogkit"
    done = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, HELP, "")


def test_static_summaries_match_the_commands() -> None:
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        assert command is not None
        assert command.get_short_help_str(limit=200) == COMMANDS[name].summary


def all_commands(group: click.Group, path: str = "ogkit"):
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield f"{path} {name}", command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{path} {name}")


def test_no_summary_is_cut_off() -> None:
    """click cuts a first sentence longer than the limit with '...': every command that would
    be cut has a short_help of its own."""
    summaries = {path: cmd.get_short_help_str(limit=45) for path, cmd in all_commands(main)}
    assert {path for path, text in summaries.items() if text.endswith("...")} == set()
    assert summaries["ogkit models show"] == (
        "A model's tensors, size, CID, aliases and gas per call."
    )
    assert summaries["ogkit models verify"] == (
        "Re-hash every stored model; fail if any is damaged."
    )
    assert {"ogkit models remove", "ogkit models list", "ogkit inference list"} <= set(summaries)


def test_a_command_whose_module_is_missing_says_so() -> None:
    @click.group(
        cls=LazyGroup,
        lazy_commands={
            "ghost": LazyCommand("ogkit.cli.no_such_module:ghost", "A command not shipped."),
            "models": COMMANDS["models"],
        },
    )
    def group() -> None:
        """A group with one missing command."""

    listing = CliRunner().invoke(group, ["--help"])
    assert listing.exit_code == 0
    assert "  ghost   A command not shipped.\n  models  Manage" in listing.output
    result = CliRunner().invoke(group, ["ghost", "anything", "--flag"])
    assert (result.exit_code, result.output) == (
        1,
        "Error: `ogkit ghost` is not available in this install (ogkit.cli.no_such_module is "
        "missing); upgrade ape-opengradient\n",
    )
    assert CliRunner().invoke(group, ["models", "--help"]).exit_code == 0
