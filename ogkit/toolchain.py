"""The offline Solidity compiler: npm's `solc` (solc-js) behind a `solc-v<version>` wrapper.

py-solc-x (and so ape-solidity) only knows "a file named `solc-v<X.Y.Z>` in
`$SOLCX_BINARY_PATH`". `ogkit toolchain install` puts the pinned solc-js and that wrapper in a
folder of the user's (`$OGKIT_HOME/toolchain`, default `~/.ogkit/toolchain`), once per machine;
the Ape plugin points py-solc-x there, so no project copies a compiler and nothing downloads
at compile time. With internet, py-solc-x still downloads other versions into the same folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ogkit.solidity import SOLC_VERSION, WRAPPER

WRAPPER_NAME = f"solc-v{SOLC_VERSION}"


class ToolchainError(RuntimeError):
    """The compiler cannot be installed or found; the message says what to do."""


def home() -> Path:
    """`$OGKIT_HOME`, else `~/.ogkit`: per-user state shared by every project."""
    return Path(os.environ.get("OGKIT_HOME") or Path.home() / ".ogkit")


def toolchain_dir() -> Path:
    return home() / "toolchain"


def solcx_dir() -> Path:
    """The folder to use as `$SOLCX_BINARY_PATH` (holds `solc-v<version>`)."""
    return toolchain_dir() / "solcx"


def _repo_solcx() -> Path:
    """A checkout of this repository keeps its own (`make toolchain`)."""
    return Path(__file__).resolve().parents[1] / ".solcx"


def solc_binary() -> Path:
    """The pinned solc wrapper; `ToolchainError` (with the fix) if none is installed."""
    candidates = []
    if os.environ.get("SOLCX_BINARY_PATH"):
        candidates.append(Path(os.environ["SOLCX_BINARY_PATH"]))
    candidates += [_repo_solcx(), Path.cwd() / ".solcx", solcx_dir()]
    for folder in candidates:
        if (folder / WRAPPER_NAME).is_file():
            return folder / WRAPPER_NAME
    raise ToolchainError(
        f"solc {SOLC_VERSION} is not installed (looked in "
        f"{', '.join(str(p) for p in candidates)}): run `ogkit toolchain install`"
    )


def is_installed() -> bool:
    return (solcx_dir() / WRAPPER_NAME).is_file() and (
        toolchain_dir() / "node_modules" / "solc" / "solc.js"
    ).is_file()


def install(force: bool = False) -> Path:
    """Install solc-js with npm (from the registry, once) and the wrapper; returns the folder
    for `$SOLCX_BINARY_PATH`. Idempotent: a second call changes nothing."""
    if is_installed() and not force:
        return solcx_dir()
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise ToolchainError(
            "node and npm are needed to run the Solidity compiler (npm package `solc`): "
            "install Node.js 18 or later, then run `ogkit toolchain install` again"
        )
    root = toolchain_dir()
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(
        '{"name": "ogkit-toolchain", "private": true, '
        f'"dependencies": {{"solc": "{SOLC_VERSION}"}}}}\n'
    )
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ToolchainError(
            f"npm install solc@{SOLC_VERSION} failed: {detail[-1] if detail else done.returncode}"
        )
    target = solcx_dir() / WRAPPER_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(WRAPPER, target)
    target.chmod(0o755)
    return solcx_dir()


def svm_dir() -> Path:
    """Where Foundry's solc manager (svm-rs) looks for compilers: `~/.svm` when it exists
    (the legacy place, still preferred), else `$XDG_DATA_HOME/svm` (`~/.local/share/svm`)."""
    legacy = Path.home() / ".svm"
    if legacy.is_dir():
        return legacy
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "svm"


def install_for_foundry(binary: Path | None = None) -> Path | None:
    """Make `solc = "<version>"` in a foundry.toml find the offline compiler: a link to the
    wrapper where svm keeps `<version>/solc-<version>`, so `forge build` downloads nothing.
    A compiler already there (a real native solc) is kept; returns the link, or None then."""
    target = svm_dir() / SOLC_VERSION / f"solc-{SOLC_VERSION}"
    if target.exists() or target.is_symlink():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to((binary or solc_binary()).resolve())
    return target


def version_of(binary: Path) -> str:
    """What the wrapper reports (proves node, solc-js and the wrapper work together)."""
    done = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise ToolchainError(f"{binary} --version failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]
