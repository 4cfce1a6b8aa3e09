"""One model's EZKL artifacts on disk, and the proofs made with them.

`ogkit.zk.pipeline.setup` writes everything a prover and a verifier need under
`<store>/zk/<cid>/`:

===============================  ============================================================
``settings.json``                circuit settings (input private, output public, params fixed),
                                 calibrated on the given inputs for the fewest rows, with the
                                 range-check decomposition (of ``DECOMPOSITIONS``) that needs
                                 the smallest logrows
``network.ezkl``                 the compiled circuit
``calibration.json``             the calibration inputs (EZKL's input-data format)
``calibration-report.txt``       EZKL's numerical-fidelity report from calibration
``kzg-k<N>.DEV-INSECURE.srs``    a KZG SRS made locally with ``ezkl.gen_srs``: **dev only and
                                 insecure** (whoever made it knows the toxic waste and can forge
                                 proofs); production needs a ceremony SRS (``ezkl.get_srs``)
``pk.key`` / ``vk.key``          proving and verifying keys (pk is ~1 MB at logrows 8, ~138 MB
                                 at logrows 15)
``Halo2Verifier.sol``            the EVM verifier EZKL renders for this vk
``Halo2Verifier.json``           its ABI and bytecode, compiled with our offline solc
``zk.json``                      the manifest, written last: a directory with a valid manifest
                                 is complete and is reused as is, unless it was built by another
                                 ezkl, manifest format or list of ``DECOMPOSITIONS`` (then
                                 `setup` builds it again)
===============================  ============================================================

The directory is built under a temporary name and renamed into place, so a concurrent reader
never sees half a setup, and a second call returns the existing artifacts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ogkit.models.store import ModelStore

MANIFEST = "zk.json"
MANIFEST_FORMAT = 2
"""2: settings choose their range-check decomposition (format 1 used ezkl's default, which
forced logrows 15 on `upstream_demo`: a 2**14-row table; such setups are rebuilt)."""
DECOMPOSITIONS: tuple[tuple[int, int], ...] = ((16384, 2), (1024, 3), (128, 4), (32, 6))
"""(decomp_base, decomp_legs) pairs `setup` tries; each covers at least ezkl's default range
(16384**2 = 2**28). ezkl range-checks values leg by leg against a table of `decomp_base` rows,
so the default base alone needs 2**14 rows whatever the model; a small model proves ~40x
faster with a small base (more legs, a few more rows each). Changing this list makes every
existing setup stale."""
SETTINGS = "settings.json"
CIRCUIT = "network.ezkl"
CALIBRATION = "calibration.json"
CALIBRATION_REPORT = "calibration-report.txt"
PK = "pk.key"
VK = "vk.key"
VERIFIER_SOL = "Halo2Verifier.sol"
VERIFIER_JSON = "Halo2Verifier.json"
VERIFIER_CONTRACT = "Halo2Verifier"
VERIFY_PROOF_SIGNATURE = "verifyProof(bytes,uint256[])"


class ZkError(RuntimeError):
    """A model cannot be set up, proved or verified with EZKL."""


def srs_file_name(logrows: int) -> str:
    return f"kzg-k{logrows}.DEV-INSECURE.srs"


def _ezkl():
    try:
        import ezkl
    except ImportError as exc:  # pragma: no cover - ezkl is a dependency
        raise ZkError("ZK mode needs the `ezkl` package") from exc
    return ezkl


def ezkl_version() -> str:
    from importlib.metadata import version

    return version("ezkl")


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class ZkArtifacts:
    """One model's EZKL setup, as found in its directory (see the module docstring)."""

    cid: str
    directory: Path
    manifest: dict = field(repr=False, compare=False)

    @property
    def settings_path(self) -> Path:
        return self.directory / SETTINGS

    @property
    def circuit_path(self) -> Path:
        return self.directory / CIRCUIT

    @property
    def srs_path(self) -> Path:
        return self.directory / self.manifest["srs"]["file"]

    @property
    def pk_path(self) -> Path:
        return self.directory / PK

    @property
    def vk_path(self) -> Path:
        return self.directory / VK

    @property
    def verifier_sol_path(self) -> Path:
        return self.directory / VERIFIER_SOL

    @property
    def verifier_json_path(self) -> Path:
        return self.directory / VERIFIER_JSON

    @property
    def logrows(self) -> int:
        return int(self.manifest["logrows"])

    @property
    def inputs(self) -> tuple[TensorSpec, ...]:
        return tuple(TensorSpec(t["name"], tuple(t["shape"])) for t in self.manifest["inputs"])

    @property
    def outputs(self) -> tuple[TensorSpec, ...]:
        return tuple(TensorSpec(t["name"], tuple(t["shape"])) for t in self.manifest["outputs"])

    @property
    def settings(self) -> dict:
        return json.loads(self.settings_path.read_text())

    def verifier(self) -> dict:
        """The compiled `Halo2Verifier`: {"abi", "bytecode", "deployedBytecode", …}."""
        return json.loads(self.verifier_json_path.read_text())


@dataclass(frozen=True)
class ZkProof:
    """A proof of one inference. `proof` and `instances` are what the verifier checks;
    `outputs` are the public outputs decoded from `instances` (fixed point -> float)."""

    proof: bytes
    instances: list[list[str]]
    """EZKL's public instances: field elements as little-endian hex, one list per proof."""
    outputs: dict[str, np.ndarray] = field(compare=False)
    raw: dict = field(repr=False, compare=False)
    """The rest of EZKL's proof JSON (protocol, version, pretty_public_inputs, …)."""

    def to_json(self) -> dict:
        """EZKL's proof-file JSON with `proof` and `instances` taken from this object."""
        data = dict(self.raw)
        data["proof"] = list(self.proof)
        data["hex_proof"] = "0x" + self.proof.hex()
        data["instances"] = [list(row) for row in self.instances]
        return data

    @classmethod
    def from_json(cls, data: dict, artifacts: ZkArtifacts) -> ZkProof:
        instances = [list(row) for row in data["instances"]]
        return cls(
            proof=bytes(data["proof"]),
            instances=instances,
            outputs=_decode_outputs(artifacts, instances),
            raw=data,
        )


def _decode_outputs(artifacts: ZkArtifacts, instances: list[list[str]]) -> dict[str, np.ndarray]:
    """Public outputs from the instances (input private, params fixed: instances are the
    outputs, flattened and concatenated), rescaled from fixed point to float."""
    ezkl = _ezkl()
    scales = artifacts.settings["model_output_scales"]
    felts = instances[0] if instances else []
    decoded: dict[str, np.ndarray] = {}
    offset = 0
    for spec, scale in zip(artifacts.outputs, scales, strict=True):
        chunk = felts[offset : offset + spec.size]
        offset += spec.size
        values = [ezkl.felt_to_float(felt, scale) for felt in chunk]
        decoded[spec.name] = np.array(values, dtype=np.float64).reshape(spec.shape)
    return decoded


def _load(directory: Path, cid: str) -> ZkArtifacts | None:
    """The artifacts in `directory` if its manifest is valid and complete, else None."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if (
        manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("cid") != cid
        or manifest.get("ezkl") != ezkl_version()
        or manifest.get("decompositions_tried") != [list(pair) for pair in DECOMPOSITIONS]
    ):
        return None
    artifacts = ZkArtifacts(cid, directory, manifest)
    files = (
        artifacts.settings_path,
        artifacts.circuit_path,
        artifacts.srs_path,
        artifacts.pk_path,
        artifacts.vk_path,
        artifacts.verifier_sol_path,
        artifacts.verifier_json_path,
    )
    return artifacts if all(path.is_file() for path in files) else None


def artifacts_dir(store: ModelStore, cid: str) -> Path:
    return store.root / "zk" / cid


def load(store: ModelStore, model_id: str, workdir: Path | str | None = None) -> ZkArtifacts:
    """Existing artifacts for a model (CID or alias); `ZkError` if `setup` has not run."""
    cid = store.resolve(model_id).cid
    directory = Path(workdir) if workdir is not None else artifacts_dir(store, cid)
    found = _load(directory, cid)
    if found is None:
        raise ZkError(f"no ZK setup for {cid} in {directory}; run `ogkit models zk-setup`")
    return found
