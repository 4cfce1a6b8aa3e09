"""The Solidity interfaces a user's contracts import as `opengradient-neuroml/src/…`.

OpenGradient's examples import `opengradient-neuroml/src/OGInference.sol` from an npm package
that is no longer served; these files are our ABI-identical copy, shipped in the wheel. The Ape
plugin copies them into the project's `contracts/.cache/` (where Ape keeps dependencies) and
remaps the import there, so a user copies nothing.
"""

from __future__ import annotations

from pathlib import Path

IMPORT_PREFIX = "opengradient-neuroml/src/"
SOURCE_DIR = Path(__file__).resolve().parent
INTERFACES = ("OGInference.sol", "TensorLib.sol", "OGHistorical.sol")
WRAPPER = SOURCE_DIR / "solc-wrapper.sh"


def managed_dir(contracts_folder: Path) -> Path:
    """Where a project's copy lives: beside Ape's own dependency cache, ignored by git."""
    return Path(contracts_folder) / ".cache" / "opengradient-neuroml" / "src"


def materialise(contracts_folder: Path) -> Path:
    """Write the interfaces into the project's managed folder (only files that differ)."""
    target = managed_dir(contracts_folder)
    target.mkdir(parents=True, exist_ok=True)
    for name in INTERFACES:
        data = (SOURCE_DIR / name).read_bytes()
        path = target / name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    return target


SOLC_VERSION = "0.8.28"
"""The npm `solc` (solc-js) the toolkit pins and installs; nothing downloads at run time."""
EVM_VERSION = "cancun"
"""Our VM is Prague (py-evm stops there), which runs Cancun bytecode; solc >= 0.8.31 would
default to Osaka, so the version is pinned in what user projects get."""
PROJECT_SETTINGS: dict[str, object] = {
    "version": SOLC_VERSION,
    "evm_version": EVM_VERSION,
    "optimize": True,
    "via_ir": True,
}
"""ape-solidity settings a user project gets by default (its own `solidity:` keys win).

via-IR with the optimizer is the one choice that compiles every contract people write for
OpenGradient: the legacy optimizer stops with "Stack too deep" in the ABI decoder of any
`ModelOutput` (its Yul inliner merges the nested decoders into one function with more live
values than the 16 reachable stack slots, and legacy codegen cannot spill them to memory), and
legacy codegen without the optimizer cannot keep a `ModelOutput` in storage. Measured in
docs/compatibility.md: a small consumer compiles in ~5 s instead of ~3 s, and a model call
costs less gas."""
