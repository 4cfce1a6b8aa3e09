"""Compile the contracts the toolkit ships as artifacts, with the project's pinned solc.

    python -m ogkit.contracts.build           # rewrite ogkit/contracts/artifacts/*.json
    python -m ogkit.contracts.build --check   # exit 1 if any committed artifact is stale

Settings follow ape-config.yaml (solc 0.8.28, cancun, optimizer off), so an artifact equals
what `ape compile` makes of the same source.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ogkit.contracts.artifacts import ARTIFACTS_DIR
from ogkit.solidity import EVM_VERSION, SOLC_VERSION
from ogkit.toolchain import solc_binary

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]
INTERFACES = REPO / "ogkit" / "solidity"
REMAPPINGS = ["opengradient-neuroml/src/=ogkit/solidity/"]

SHIPPED: dict[str, str] = {
    # artifact name -> source file (the contract has the file's name)
    "TEERegistry": "contracts/verification/TEERegistry.sol",
    "TEEInferenceVerifier": "contracts/verification/TEEInferenceVerifier.sol",
    "InferenceSettlementRelay": "contracts/verification/InferenceSettlementRelay.sol",
    "InferenceHub": "contracts/hub/InferenceHub.sol",
    "TaskScheduler": "contracts/hub/TaskScheduler.sol",
    "ZkInferenceSettlement": "contracts/verification/ZkInferenceSettlement.sol",
    "OPGToken": "contracts/payments/OPGToken.sol",
    "X402UptoPermit2Proxy": "contracts/payments/X402UptoPermit2Proxy.sol",
    "Multicall3Lite": "contracts/payments/Multicall3Lite.sol",
    "IPermit2": "contracts/payments/IPermit2.sol",
}


def _standard_input() -> dict:
    sources = {
        str(p.relative_to(REPO)): {"content": p.read_text()}
        for p in sorted([*(REPO / "contracts").rglob("*.sol"), *INTERFACES.glob("*.sol")])
        if ".cache" not in p.parts
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": False, "runs": 200},
            "remappings": REMAPPINGS,
            "metadata": {"bytecodeHash": "none", "appendCBOR": False},
            "outputSelection": {
                path: {
                    Path(path).stem: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]
                }
                for path in SHIPPED.values()
            },
        },
    }


def compile_shipped() -> dict[str, dict]:
    import solcx

    out = solcx.compile_standard(_standard_input(), solc_binary=solc_binary())
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    built = {}
    for name, path in SHIPPED.items():
        contract = out["contracts"][path][Path(path).stem]
        built[name] = {
            "contractName": name,
            "source": path,
            "compiler": {"solc": SOLC_VERSION, "evmVersion": EVM_VERSION, "optimizer": False},
            "abi": contract["abi"],
            "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
        }
    return built


def _text(artifact: dict) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if an artifact is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, artifact in compile_shipped().items():
        path = ARTIFACTS_DIR / f"{name}.json"
        text = _text(artifact)
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO)}")
    if stale:
        print(
            f"stale artifacts: {', '.join(stale)}; run python -m ogkit.contracts.build",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
