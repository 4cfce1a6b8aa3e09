"""`ogkit toolchain …`: the offline Solidity compiler user projects compile with."""

from __future__ import annotations

import click


@click.group(short_help="Install the offline Solidity compiler.")
def toolchain() -> None:
    """The Solidity compiler for Ape projects on the AI chain: npm's solc-js behind a
    `solc-v<version>` wrapper in ~/.ogkit/toolchain (or $OGKIT_HOME), found by the plugin."""


@toolchain.command("install", short_help="Install solc (npm's solc-js) once per user.")
@click.option("--force", is_flag=True, help="Reinstall even if it is there.")
@click.option(
    "--foundry/--no-foundry",
    default=None,
    help="Also link it where Foundry's forge looks for solc (default: when forge is on PATH).",
)
def install(force: bool, foundry: bool | None) -> None:
    """Install the pinned solc-js with npm and its wrapper; a second run changes nothing.
    With Foundry, also link it as svm's solc so `solc = "<version>"` in foundry.toml works
    offline (a solc already there is kept)."""
    import shutil

    from ogkit import toolchain as tc

    try:
        folder = tc.install(force=force)
        version = tc.version_of(folder / tc.WRAPPER_NAME)
    except tc.ToolchainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"solc {version} in {folder}")
    if foundry or (foundry is None and shutil.which("forge")):
        linked = tc.install_for_foundry(folder / tc.WRAPPER_NAME)
        where = tc.svm_dir() / tc.SOLC_VERSION
        click.echo(f"forge uses {linked}" if linked else f"forge keeps the solc in {where}")


@toolchain.command("show", short_help="Say which compiler and settings projects get.")
def show() -> None:
    """Print the compiler the plugin uses and the default `solidity:` settings."""
    from ogkit import solidity
    from ogkit import toolchain as tc

    try:
        binary = tc.solc_binary()
    except tc.ToolchainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"solc       {binary}")
    for key, value in solidity.PROJECT_SETTINGS.items():
        click.echo(f"{key:10} {value}")
    click.echo(f"remapping  {solidity.IMPORT_PREFIX}=contracts/.cache/opengradient-neuroml/src/")
