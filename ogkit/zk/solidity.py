"""Compile the Halo2 verifier EZKL writes with the project's offline solc (solc-js wrapper).

EZKL's `create_evm_verifier` writes a complete `.sol`, then tries to download solc and fails
offline; we compile the file ourselves through py-solc-x's `compile_standard` with the pinned
`solc-v0.8.28` wrapper (`ogkit.toolchain.solc_binary`).

The verifier is one big inline-assembly block: with the optimizer off solc stops with "stack too
deep", so it is always on (runs=200), and re-run with runs=1 if the runtime code exceeds the
EIP-170 limit of 24,576 bytes. EVM version: cancun, like the AI chain.
"""

from __future__ import annotations

from pathlib import Path

from ogkit.solidity import EVM_VERSION, SOLC_VERSION
from ogkit.toolchain import solc_binary

EIP170_LIMIT = 24_576
DEFAULT_RUNS = 200
SMALL_RUNS = 1


def _compile(source: str, contract: str, runs: int) -> dict:
    import solcx

    standard_input = {
        "language": "Solidity",
        "sources": {f"{contract}.sol": {"content": source}},
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": runs},
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
            },
        },
    }
    out = solcx.compile_standard(standard_input, solc_binary=solc_binary())
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    built = out["contracts"][f"{contract}.sol"][contract]
    return {
        "contractName": contract,
        "abi": built["abi"],
        "bytecode": "0x" + built["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + built["evm"]["deployedBytecode"]["object"],
        "compiler": {
            "solc": SOLC_VERSION,
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": runs},
        },
    }


def compile_verifier(sol_path: Path, contract: str = "Halo2Verifier") -> dict:
    """{"abi", "bytecode", "deployedBytecode", "compiler", …} for the verifier in `sol_path`."""
    source = Path(sol_path).read_text()
    built = _compile(source, contract, DEFAULT_RUNS)
    if (len(built["deployedBytecode"]) - 2) // 2 > EIP170_LIMIT:
        built = _compile(source, contract, SMALL_RUNS)
    size = (len(built["deployedBytecode"]) - 2) // 2
    built["runtimeSize"] = size
    if size > EIP170_LIMIT:
        raise RuntimeError(
            f"{contract} runtime is {size:,} B, over the {EIP170_LIMIT:,} B limit even with "
            "runs=1; the circuit needs proof aggregation (snark-verifier #36)"
        )
    return built
