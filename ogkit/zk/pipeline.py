"""EZKL pipeline for stored models: set up once per model CID, prove inferences, verify proofs.

`setup` writes everything a prover and a verifier need under `<store>/zk/<cid>/` (the files
are listed in `ogkit.zk.artifacts`), running the steps in `ogkit.zk.steps`. The directory is
built under a temporary name and renamed into place, so a concurrent reader never sees half a
setup, and a second call returns the existing artifacts.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx

from ogkit.models.store import ModelStore
from ogkit.zk.artifacts import (
    MANIFEST,
    SETTINGS,
    ZkArtifacts,
    ZkError,
    ZkProof,
    _ezkl,
    _load,
    artifacts_dir,
)
from ogkit.zk.steps import (
    StepCallback,
    _input_data,
    _io_specs,
    build_manifest,
    run_steps,
)

CALIBRATION_SCALES = (1.0, 0.5, 2.0)
"""Default calibration for the example models: their sample input times these factors."""


def example_calibration(store: ModelStore, cid: str) -> list[dict[str, np.ndarray]] | None:
    """For an example model (stored under its example name): its sample input at a few
    scales; None for other models."""
    # Lazily, here: the examples package sits on top of ogkit (it imports ogkit), so ogkit
    # never imports it at module level.
    from og_examples.models import EXAMPLES, sample_input

    for alias, target in sorted(store.aliases().items()):
        if target == cid and alias in EXAMPLES:
            sample = sample_input(alias)
            return [
                {name: (value * factor).astype(value.dtype) for name, value in sample.items()}
                for factor in CALIBRATION_SCALES
            ]
    return None


def setup(
    store: ModelStore,
    model_id: str,
    workdir: Path | str | None = None,
    calibration_inputs: Sequence[Mapping[str, np.ndarray]] | None = None,
    *,
    on_step: StepCallback | None = None,
) -> ZkArtifacts:
    """Set a stored model (CID or alias) up for proving; reuses a complete earlier setup.

    `calibration_inputs`: representative inputs (dicts keyed by input name, like
    `og_examples.models.sample_input`); EZKL picks scales and logrows from them, and proofs
    of inputs far outside their range may fail. Defaults to `example_calibration` for the
    example models. `workdir` defaults to `<store>/zk/<cid>/`.
    """
    stored = store.resolve(model_id)
    directory = Path(workdir) if workdir is not None else artifacts_dir(store, stored.cid)
    existing = _load(directory, stored.cid)
    if existing is not None:
        return existing
    model_bytes = store.read(stored)
    inputs, outputs = _io_specs(onnx.load_from_string(model_bytes))
    if calibration_inputs is None:
        calibration_inputs = example_calibration(store, stored.cid)
        if calibration_inputs is None:
            raise ZkError(f"{model_id}: not an example model, so calibration inputs are needed")
    if not calibration_inputs:
        raise ZkError("calibration_inputs is empty")

    ezkl = _ezkl()
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=f".tmp-{stored.cid}-") as tmp:
        work = Path(tmp) / "zk"
        work.mkdir()
        onnx_path = Path(tmp) / "model.onnx"
        onnx_path.write_bytes(model_bytes)
        logrows, srs, built, timings = run_steps(
            ezkl, onnx_path, work, inputs, calibration_inputs, on_step
        )
        run_args = json.loads((work / SETTINGS).read_text())["run_args"]
        decomposition = {"base": run_args["decomp_base"], "legs": run_args["decomp_legs"]}
        manifest = build_manifest(
            stored.cid, logrows, inputs, outputs, srs, built, timings, decomposition
        )
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        raced = _move_into_place(work, directory, store.root / "zk", stored.cid)
        if raced is not None:
            return raced
    found = _load(directory, stored.cid)
    assert found is not None
    return found


def _move_into_place(work: Path, directory: Path, zk_root: Path, cid: str) -> ZkArtifacts | None:
    """Rename the finished `work` to `directory`. If someone else finished first, their
    artifacts; if an incomplete setup of ours is in the way, replace it; else `ZkError`."""
    try:
        work.rename(directory)
    except OSError:
        # Someone else finished first (or a stale directory is in the way).
        found = _load(directory, cid)
        if found is not None:
            return found
        if directory.is_dir() and directory.parent == zk_root:
            shutil.rmtree(directory)  # an incomplete setup of ours: replace it
            work.rename(directory)
        else:
            raise ZkError(f"{directory} exists and is not a complete ZK setup") from None
    return None


def prove(artifacts: ZkArtifacts, inputs: Mapping[str, np.ndarray]) -> ZkProof:
    """Witness + proof for one inference of the artifacts' model on `inputs`."""
    ezkl = _ezkl()
    specs = [{"name": s.name, "shape": list(s.shape)} for s in artifacts.inputs]
    with tempfile.TemporaryDirectory(prefix="ogkit-zk-prove-") as tmp:
        data, witness, proof = (Path(tmp) / n for n in ("input.json", "witness.json", "proof.json"))
        data.write_text(json.dumps(_input_data(specs, [inputs])))
        ezkl.gen_witness(str(data), str(artifacts.circuit_path), str(witness))
        if not ezkl.prove(
            str(witness),
            str(artifacts.circuit_path),
            str(artifacts.pk_path),
            str(proof),
            str(artifacts.srs_path),
        ):
            raise ZkError("ezkl.prove failed")
        return ZkProof.from_json(json.loads(proof.read_text()), artifacts)


def verify(artifacts: ZkArtifacts, proof: ZkProof) -> bool:
    """Off-chain verification with EZKL against the artifacts' vk: True only for a valid proof
    of these public outputs."""
    ezkl = _ezkl()
    with tempfile.TemporaryDirectory(prefix="ogkit-zk-verify-") as tmp:
        path = Path(tmp) / "proof.json"
        path.write_text(json.dumps(proof.to_json()))
        try:
            return bool(
                ezkl.verify(
                    str(path),
                    str(artifacts.settings_path),
                    str(artifacts.vk_path),
                    str(artifacts.srs_path),
                )
            )
        except (RuntimeError, ValueError):  # EZKL raises on an invalid or malformed proof
            return False


def evm_calldata(artifacts: ZkArtifacts, proof: ZkProof) -> bytes:
    """Calldata for `Halo2Verifier.verifyProof(bytes,uint256[])` (selector included)."""
    del artifacts  # the verifier embeds its vk; kept for a uniform, future-proof signature
    ezkl = _ezkl()
    with tempfile.TemporaryDirectory(prefix="ogkit-zk-calldata-") as tmp:
        path = Path(tmp) / "proof.json"
        path.write_text(json.dumps(proof.to_json()))
        return bytes(ezkl.encode_evm_calldata(str(path), str(Path(tmp) / "calldata.bin")))
