"""Compile the compatibility contracts (tests/support/compat/) exactly as a user's project would:
ape-solidity's standard-JSON settings made from `ogkit.solidity.PROJECT_SETTINGS`, the
`opengradient-neuroml/src/` import served by our interfaces, the pinned offline solc.

They live outside `contracts/` because they are written against earlier interfaces (names
that clash with today's) and some need `via_ir`, which this repository's own contracts do not
use (see ape-config.yaml)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ogkit.solidity import IMPORT_PREFIX, PROJECT_SETTINGS, SOURCE_DIR
from ogkit.toolchain import solc_binary

REPO = Path(__file__).resolve().parents[2]
COMPAT = REPO / "tests" / "support" / "compat"


def standard_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """What ape-solidity sends solc for these ape-config `solidity:` values."""
    out: dict[str, Any] = {
        "optimizer": {
            "enabled": bool(settings.get("optimize", True)),
            "runs": int(settings.get("optimization_runs", 200)),
        },
        "remappings": [f"{IMPORT_PREFIX}=ogkit/solidity/"],
        "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
    }
    if settings.get("evm_version"):
        out["evmVersion"] = settings["evm_version"]
    if settings.get("via_ir") is not None:
        out["viaIR"] = bool(settings["via_ir"])
    return out


def compile_sources(
    paths: list[Path], settings: dict[str, Any] | None = None
) -> tuple[dict[str, dict], float]:
    """{contract name: {"abi", "bytecode"}} and the seconds solc took."""
    import solcx

    sources = {p.relative_to(REPO).as_posix(): p.read_text() for p in paths}
    for path in sorted(SOURCE_DIR.glob("*.sol")):
        sources[path.relative_to(REPO).as_posix()] = path.read_text()
    standard_input = {
        "language": "Solidity",
        "sources": {sid: {"content": text} for sid, text in sources.items()},
        "settings": standard_settings(PROJECT_SETTINGS if settings is None else settings),
    }
    start = time.perf_counter()
    out = solcx.compile_standard(standard_input, base_path=str(REPO), solc_binary=solc_binary())
    seconds = time.perf_counter() - start
    built = {}
    for sid in sources:
        for name, contract in out.get("contracts", {}).get(sid, {}).items():
            if contract["evm"]["bytecode"]["object"]:
                built[name] = {
                    "abi": contract["abi"],
                    "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
                }
    return built, seconds


def interface_abi(name: str) -> list[dict]:
    """The ABI of an interface in ogkit/solidity/ (`OGInference`, `OGHistorical`), compiled:
    Ape's project holds no contract types for them (the plugin serves them from
    contracts/.cache/, which Ape treats as a dependency)."""
    import solcx

    source = f"ogkit/solidity/{name}.sol"
    standard_input = {
        "language": "Solidity",
        "sources": {
            p.relative_to(REPO).as_posix(): {"content": p.read_text()}
            for p in sorted(SOURCE_DIR.glob("*.sol"))
        },
        "settings": {"outputSelection": {source: {name: ["abi"]}}},
    }
    out = solcx.compile_standard(standard_input, base_path=str(REPO), solc_binary=solc_binary())
    return out["contracts"][source][name]["abi"]


def containers(paths: list[Path], settings: dict[str, Any] | None = None) -> dict:
    """Ape `ContractContainer`s for the contracts in `paths` (deployable on any provider)."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    built, _ = compile_sources(paths, settings)
    return {
        name: ContractContainer(
            ContractType.model_validate(
                {
                    "contractName": name,
                    "abi": art["abi"],
                    "deploymentBytecode": {"bytecode": art["bytecode"]},
                }
            )
        )
        for name, art in built.items()
    }
