"""Extract Uniswap's Permit2 runtime into `ogkit/contracts/artifacts/Permit2.json` (dev only).

    npm pack @uniswap/v4-periphery@1.0.3          # once, anywhere: a 33 MB tarball
    python -m ogkit.contracts.permit2 uniswap-v4-periphery-1.0.3.tgz

Permit2 is compiled with solc 0.8.17 via-IR at 1,000,000 runs, which solc-js does slowly; Uniswap
ships the result, for `vm.etch` at the canonical address, in that package's
`lib/permit2/test/utils/DeployPermit2.sol` (MIT). The x402 `upto` scheme needs Permit2 at
0x000000000022D473030F116dDEE9F6B43aC78BA3 on the payment chain, so genesis etches the same bytes
there. The artifact keeps the MIT notice and where the bytes came from; the ABI is that of our
`contracts/payments/IPermit2.sol`. Nothing here runs outside this script: the npm package is not
needed to build or run the chain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tarfile
from pathlib import Path

from ogkit.contracts.artifacts import ARTIFACTS_DIR, load

PACKAGE = "@uniswap/v4-periphery@1.0.3"
SOURCE = "package/lib/permit2/test/utils/DeployPermit2.sol"
LICENSE = "package/lib/permit2/LICENSE"


def extract(tarball: Path) -> dict:
    """The artifact for the Permit2 runtime in `tarball` (npm pack of PACKAGE)."""
    with tarfile.open(tarball) as tar:
        source = _member(tar, SOURCE)
        license_text = _member(tar, LICENSE)
    match = re.search(r'hex"([0-9a-fA-F]+)"', source)
    if match is None:
        raise ValueError(f'no hex"..." runtime in {SOURCE}')
    runtime = bytes.fromhex(match.group(1))
    return {
        "contractName": "Permit2",
        "source": f"npm {PACKAGE}: {SOURCE.removeprefix('package/')} (runtime only)",
        "compiler": {"solc": "0.8.17", "viaIR": True, "optimizerRuns": 1_000_000},
        "license": license_text,
        "abi": load("IPermit2").abi,
        "bytecode": "0x",
        "deployedBytecode": "0x" + runtime.hex(),
        "deployedBytecodeSha256": hashlib.sha256(runtime).hexdigest(),
    }


def _member(tar: tarfile.TarFile, name: str) -> str:
    handle = tar.extractfile(name)
    if handle is None:
        raise ValueError(f"{name} is not a file in the tarball")
    return handle.read().decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", type=Path, help=f"npm pack of {PACKAGE}")
    args = parser.parse_args(argv)
    artifact = extract(args.tarball)
    path = ARTIFACTS_DIR / "Permit2.json"
    path.write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path} ({len(artifact['deployedBytecode']) // 2 - 1} bytes of runtime)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
