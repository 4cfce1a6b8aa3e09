"""Compile the benchmark-only contracts in bench/contracts/ into Ape contract containers.

Ape compiles only the project's `contracts/` folder, so these are compiled here with the same
pinned solc (0.8.28 via `.solcx/solc-v0.8.28`) and the same settings as `ape-config.yaml`
(evm cancun, optimizer off, the `opengradient-neuroml/src/` remapping). Every source is handed
to solc as content (no filesystem callbacks). solc-js takes ~1.5 s for these, so no cache.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_SOURCES = ("bench/contracts/BenchCounter.sol", "bench/contracts/VolatilityVaultBaseline.sol")
SOLC_VERSION = "0.8.28"
REMAPPING = "opengradient-neuroml/src/=ogkit/solidity/"
FALLBACK = ("contracts/examples/VolatilityVault.sol", "VolatilityVault")
"""Also built, in case the Ape project does not compile (someone else's file mid-edit)."""


def _sources() -> dict[str, str]:
    ids = list(BENCH_SOURCES)
    for folder in ("ogkit/solidity", "contracts/examples"):
        ids += sorted(str(p.relative_to(ROOT)) for p in (ROOT / folder).glob("*.sol"))
    return {sid: (ROOT / sid).read_text() for sid in ids}


def _solc_binary() -> Path:
    base = Path(os.environ.get("SOLCX_BINARY_PATH") or ROOT / ".solcx")
    return base / f"solc-v{SOLC_VERSION}"


def compile_bench_contracts() -> dict[str, dict]:
    """{contract name: {"abi": ..., "bytecode": "0x..."}} for the bench contracts."""
    import solcx

    sources = _sources()

    standard_input = {
        "language": "Solidity",
        "sources": {sid: {"content": text} for sid, text in sources.items()},
        "settings": {
            "evmVersion": "cancun",
            "optimizer": {"enabled": False},
            "remappings": [REMAPPING],
            "outputSelection": {
                sid: {"*": ["abi", "evm.bytecode.object"]} for sid in (*BENCH_SOURCES, FALLBACK[0])
            },
        },
    }
    out = solcx.compile_standard(standard_input, solc_binary=_solc_binary())
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    built = {
        name: {"abi": c["abi"], "bytecode": "0x" + c["evm"]["bytecode"]["object"]}
        for sid in BENCH_SOURCES
        for name, c in out["contracts"][sid].items()
        if c["evm"]["bytecode"]["object"]  # skip interfaces and libraries without code
    }
    fallback = out["contracts"][FALLBACK[0]][FALLBACK[1]]
    built[FALLBACK[1]] = {
        "abi": fallback["abi"],
        "bytecode": "0x" + fallback["evm"]["bytecode"]["object"],
    }
    return built


def containers() -> dict:
    """Ape `ContractContainer`s for the bench contracts (deployable on any provider), plus
    `VolatilityVault` as a fallback."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    return {
        name: ContractContainer(
            ContractType.model_validate(
                {
                    "contractName": name,
                    "abi": c["abi"],
                    "deploymentBytecode": {"bytecode": c["bytecode"]},
                }
            )
        )
        for name, c in compile_bench_contracts().items()
    }
