"""ape-solidity defaults for projects on the `opengradient` ecosystem.

ape-solidity has no way for another plugin to supply settings, and a user project should
compile `import "opengradient-neuroml/src/OGInference.sol"` with no file copied, offline, with
settings our chain runs. So this module wraps Ape's config lookup: for a project whose config
names the `opengradient` ecosystem (`default_ecosystem: opengradient` or an `opengradient:`
section) it puts `ogkit.solidity.PROJECT_SETTINGS`
under the project's own `solidity:` keys (which always win) and adds the import remapping to a
folder the plugin manages (`contracts/.cache/opengradient-neuroml/src/`, beside Ape's own
dependency cache). Other projects are left exactly as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ape.api.config import ApeConfig

from ogkit import solidity, toolchain


def _remapping_str(entry: Any) -> str:
    if isinstance(entry, dict):
        return f"{entry['key']}={entry['value']}"
    return str(entry)


def with_defaults(overrides: dict[str, Any], root: Path, contracts: Path) -> dict[str, Any]:
    """Our defaults under the user's `solidity:` keys, plus the interface remapping."""
    merged = {**solidity.PROJECT_SETTINGS, **overrides}
    remappings = [_remapping_str(r) for r in overrides.get("import_remapping") or []]
    if not any(r.startswith(solidity.IMPORT_PREFIX.rstrip("/")) for r in remappings):
        if contracts.is_dir():
            target = solidity.materialise(contracts)
            remappings.append(f"{solidity.IMPORT_PREFIX}={target.relative_to(root).as_posix()}/")
    merged["import_remapping"] = remappings
    return merged


def _uses_opengradient(config: ApeConfig) -> bool:
    extra = config.__pydantic_extra__ or {}
    return config.default_ecosystem == "opengradient" or "opengradient" in extra


def _project_root(config: ApeConfig) -> Path:
    if config._project_path is not None:
        return Path(config._project_path)
    try:
        return Path(config.local_project.path)
    except Exception:  # noqa: BLE001 - no project yet: the current directory is Ape's choice
        return Path.cwd()


def install_config_defaults() -> None:
    """Wrap `ApeConfig.get_plugin_config` once (idempotent): the raw `solidity:` section of an
    opengradient project gets our defaults before ape-solidity validates it."""
    if getattr(ApeConfig, "_opengradient_defaults", False):
        return
    original = ApeConfig.get_plugin_config

    def get_plugin_config(self: ApeConfig, name: str):  # noqa: ANN202 - Ape's own signature
        if name.replace("-", "_") == "solidity" and _uses_opengradient(self):
            raw = self._plugin_configs.get("solidity", {})
            if isinstance(raw, dict):
                root = _project_root(self)
                contracts = root / (self.contracts_folder or "contracts")
                self._plugin_configs["solidity"] = with_defaults(raw, root, contracts)
        return original(self, name)

    ApeConfig.get_plugin_config = get_plugin_config  # type: ignore[method-assign]
    ApeConfig._opengradient_defaults = True  # type: ignore[attr-defined]


def explain_missing_solc() -> None:
    """Offline, py-solc-x's download of a missing solc ends in a requests traceback; make it
    one line that says how to get the compiler without internet."""
    try:
        import ape_solidity.compiler as compiler
    except ImportError:
        return
    if getattr(compiler, "_opengradient_install", False):
        return
    download = compiler.install_solc

    def install_solc(version, *args, **kwargs):  # noqa: ANN001, ANN202 - py-solc-x's signature
        try:
            return download(version, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - network errors come in many types
            from ape.exceptions import CompilerError

            raise CompilerError(
                f"solc {version} is not installed and could not be downloaded "
                f"({type(exc).__name__}); run `ogkit toolchain install` for the offline "
                f"compiler (solc {solidity.SOLC_VERSION} from npm)"
            ) from None

    compiler.install_solc = install_solc
    compiler._opengradient_install = True


def use_installed_solc() -> None:
    """Point py-solc-x at the offline compiler unless the user chose a folder: the one
    `ogkit.toolchain.solc_binary` finds (a checkout's `.solcx/` from `make toolchain`, else
    the one `ogkit toolchain install` made)."""
    if "SOLCX_BINARY_PATH" in os.environ:
        return
    try:
        os.environ["SOLCX_BINARY_PATH"] = str(toolchain.solc_binary().parent)
    except toolchain.ToolchainError:
        pass  # nothing installed: Ape may download, else `explain_missing_solc` says what to do
