"""The genesis TEE registry, verifier and relay as built once and committed, so a chain does
not run their constructors again each time it is created.

    python -m ogkit.chain.tee_registry_artifact           # rewrite the committed file
    python -m ogkit.chain.tee_registry_artifact --check   # exit 1 if it is stale

The file names the fingerprint of everything the build reads: the modules that build it and
name its keys, chain id and dev PCRs, the three contracts' artifacts, and py-evm's version. A
file whose fingerprint differs from today's is ignored (the chain builds instead, correctly but
slower), and tests/unit/test_tee_registry_artifact.py fails until it is rewritten.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from ogkit.chain import predeploy, tee_registry_genesis
from ogkit.chain.tee_registry_genesis import Built

ARTIFACT = Path(__file__).resolve().parent / "data" / "tee_registry_genesis.json"
OGKIT = Path(__file__).resolve().parents[1]
INPUTS = (
    Path(tee_registry_genesis.__file__),  # the recipe, keys and set-up time
    Path(predeploy.__file__),  # how a constructor is run at its address
    OGKIT / "chain" / "genesis.py",  # the chain id and the relayer (admin) key
    OGKIT / "tee" / "enclave.py",  # the dev image whose PCRs are approved
    *(
        OGKIT / "contracts" / "artifacts" / f"{name}.json"
        for name in ("TEERegistry", "TEEInferenceVerifier", "InferenceSettlementRelay")
    ),
)


def fingerprint() -> str:
    """sha256 over the files the build reads (sources, not their imports: this runs on every
    chain creation and must stay a few file reads)."""
    digest = hashlib.sha256()
    for path in INPUTS:
        digest.update(path.read_bytes())
    digest.update(metadata.version("py-evm").encode())
    return digest.hexdigest()


def read(expected: str, path: Path = ARTIFACT) -> Built | None:
    """The committed entries if they were built from the inputs `expected` names."""
    try:
        data = json.loads(path.read_text())
        if data["fingerprint"] != expected:
            return None
        return tuple(
            (
                bytes.fromhex(entry["address"]),
                bytes.fromhex(entry["code"]),
                tuple((int(slot, 16), int(value, 16)) for slot, value in entry["storage"]),
            )
            for entry in data["accounts"]
        )
    except (OSError, ValueError, KeyError, TypeError):  # a damaged file: build instead
        return None


def render(built: Built, stamp: str) -> str:
    accounts = [
        {
            "address": address.hex(),
            "code": code.hex(),
            "storage": [[hex(slot), hex(value)] for slot, value in storage],
        }
        for address, code, storage in built
    ]
    return json.dumps({"fingerprint": stamp, "accounts": accounts}, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render(tee_registry_genesis.build(), fingerprint())
    if args.check:
        stale = not ARTIFACT.is_file() or ARTIFACT.read_text() != text
        print(f"{ARTIFACT}: {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(text)
    print(f"wrote {ARTIFACT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
