"""EZKL pipeline for stored models: set up once per model CID, prove inferences, verify proofs.

`setup` writes everything a prover and a verifier need under `<store>/zk/<cid>/`:

===============================  ============================================================
``settings.json``                circuit settings (input private, output public, params fixed),
                                 calibrated on the given inputs for the fewest rows
``network.ezkl``                 the compiled circuit
``calibration.json``             the calibration inputs (EZKL's input-data format)
``calibration-report.txt``       EZKL's numerical-fidelity report from calibration
``kzg-k<N>.DEV-INSECURE.srs``    a KZG SRS made locally with ``ezkl.gen_srs``: **dev only and
                                 insecure** (whoever made it knows the toxic waste and can forge
                                 proofs); production needs a ceremony SRS (``ezkl.get_srs``)
``pk.key`` / ``vk.key``          proving and verifying keys (pk is ~138 MB at logrows 15)
``Halo2Verifier.sol``            the EVM verifier EZKL renders for this vk
``Halo2Verifier.json``           its ABI and bytecode, compiled with our offline solc
``zk.json``                      the manifest, written last: a directory with a valid manifest
                                 is complete and is reused as is
===============================  ============================================================

The directory is built under a temporary name and renamed into place, so a concurrent reader
never sees half a setup, and a second call returns the existing artifacts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from ogkit.models.store import ModelStore
from ogkit.toolchain import ToolchainError
from ogkit.zk.solidity import compile_verifier

MANIFEST = "zk.json"
MANIFEST_FORMAT = 1
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
CALIBRATION_TARGET = "resources"  # the fewest rows (smallest logrows) the data allows
CALIBRATION_SCALES = (1.0, 0.5, 2.0)
"""Default calibration for the example models: their sample input times these factors."""

STEPS = (
    "settings",
    "calibrate",
    "compile circuit",
    "SRS (dev-only, insecure)",
    "keys",
    "EVM verifier",
    "compile verifier",
)

StepCallback = Callable[[int, str], None]
"""Called as `on_step(index, name)` before each of `STEPS` (index 0-based)."""


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


# --------------------------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------------------------


def _io_specs(model: onnx.ModelProto) -> tuple[list[dict], list[dict]]:
    """Graph inputs (not initializers) and outputs; symbolic dims count as 1 (EZKL batch 1)."""
    initializers = {init.name for init in model.graph.initializer}

    def spec(value: onnx.ValueInfoProto) -> dict:
        tensor = value.type.tensor_type
        if tensor.elem_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
            kind = onnx.TensorProto.DataType.Name(tensor.elem_type)
            raise ZkError(f"{value.name!r} is {kind}; EZKL proves numeric (float) models only")
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in tensor.shape.dim]
        return {"name": value.name, "shape": dims}

    inputs = [spec(v) for v in model.graph.input if v.name not in initializers]
    return inputs, [spec(v) for v in model.graph.output]


def _input_data(specs: Sequence[dict], samples: Sequence[Mapping[str, np.ndarray]]) -> dict:
    """EZKL input-data JSON: per graph input, every sample flattened and concatenated."""
    columns = []
    for spec in specs:
        size = int(np.prod(spec["shape"], dtype=np.int64))
        column: list[float] = []
        for sample in samples:
            if spec["name"] not in sample:
                raise ZkError(f"input {spec['name']!r} missing (got {sorted(sample)})")
            value = np.asarray(sample[spec["name"]], dtype=np.float64).reshape(-1)
            if value.size != size:
                raise ZkError(
                    f"input {spec['name']!r} has {value.size} values, the model takes "
                    f"{size} (shape {spec['shape']})"
                )
            column += value.tolist()
        columns.append(column)
    return {"input_data": columns}


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


@contextlib.contextmanager
def _output_to(path: Path):
    """Send file descriptors 1 and 2 to `path` for a while: EZKL's Rust code prints its
    calibration report straight to stderr, which would tear through a progress display."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(path, "ab") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        for fd in saved:
            os.close(fd)


def _run_awaitable(factory: Callable[[], object]) -> object:
    """Run one of EZKL's async calls to completion, also from inside a running event loop."""

    async def main() -> object:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    result: dict[str, object] = {}

    def worker() -> None:
        try:
            result["value"] = asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


def _create_evm_verifier(ezkl, work: Path, srs: Path) -> None:
    """Render the verifier. EZKL then tries to download solc and fails offline; the .sol is
    complete by then, so that failure is ignored if the file is there."""
    sol = work / VERIFIER_SOL
    try:
        _run_awaitable(
            lambda: ezkl.create_evm_verifier(
                str(work / VK), str(work / SETTINGS), str(sol), str(work / "abi.json"), str(srs)
            )
        )
    except RuntimeError:
        if not (sol.is_file() and sol.read_text().rstrip().endswith("}")):
            raise
    (work / "abi.json").unlink(missing_ok=True)  # ours comes from solc, with the bytecode


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
    timings: dict[str, float] = {}

    def step(index: int) -> float:
        if on_step is not None:
            on_step(index, STEPS[index])
        return time.perf_counter()

    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=f".tmp-{stored.cid}-") as tmp:
        work = Path(tmp) / "zk"
        work.mkdir()
        onnx_path = Path(tmp) / "model.onnx"
        onnx_path.write_bytes(model_bytes)
        settings, circuit = str(work / SETTINGS), str(work / CIRCUIT)

        started = step(0)
        run_args = ezkl.PyRunArgs()
        run_args.input_visibility = "private"
        run_args.output_visibility = "public"
        run_args.param_visibility = "fixed"
        if not ezkl.gen_settings(str(onnx_path), settings, py_run_args=run_args):
            raise ZkError("ezkl.gen_settings failed")
        timings["settings"] = time.perf_counter() - started

        started = step(1)
        (work / CALIBRATION).write_text(json.dumps(_input_data(inputs, calibration_inputs)))
        with _output_to(work / CALIBRATION_REPORT):
            calibrated = ezkl.calibrate_settings(
                str(work / CALIBRATION), str(onnx_path), settings, CALIBRATION_TARGET
            )
        if not calibrated:
            raise ZkError("ezkl.calibrate_settings failed")
        timings["calibrate"] = time.perf_counter() - started

        started = step(2)
        if not ezkl.compile_circuit(str(onnx_path), circuit, settings):
            raise ZkError("ezkl.compile_circuit failed")
        logrows = int(json.loads((work / SETTINGS).read_text())["run_args"]["logrows"])
        timings["compile"] = time.perf_counter() - started

        started = step(3)
        srs = work / srs_file_name(logrows)
        ezkl.gen_srs(str(srs), logrows)
        timings["srs"] = time.perf_counter() - started

        started = step(4)
        if not ezkl.setup(circuit, str(work / VK), str(work / PK), str(srs)):
            raise ZkError("ezkl.setup failed")
        timings["keys"] = time.perf_counter() - started

        started = step(5)
        _create_evm_verifier(ezkl, work, srs)
        timings["evm_verifier"] = time.perf_counter() - started

        started = step(6)
        try:
            built = compile_verifier(work / VERIFIER_SOL, VERIFIER_CONTRACT)
        except ToolchainError as exc:
            raise ZkError(str(exc)) from None
        (work / VERIFIER_JSON).write_text(json.dumps(built, indent=1))
        timings["compile_verifier"] = time.perf_counter() - started

        manifest = {
            "format": MANIFEST_FORMAT,
            "cid": stored.cid,
            "ezkl": ezkl_version(),
            "logrows": logrows,
            "visibility": {"input": "private", "output": "public", "params": "fixed"},
            "inputs": inputs,
            "outputs": outputs,
            "srs": {
                "file": srs.name,
                "source": "ezkl.gen_srs",
                "dev_only_insecure": True,
                "note": "generated locally: its maker can forge proofs; not for production",
            },
            "verifier": {
                "contract": VERIFIER_CONTRACT,
                "function": VERIFY_PROOF_SIGNATURE,
                "runtime_size": built["runtimeSize"],
                "compiler": built["compiler"],
            },
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        try:
            work.rename(directory)
        except OSError:
            # Someone else finished first (or a stale directory is in the way).
            found = _load(directory, stored.cid)
            if found is not None:
                return found
            if directory.is_dir() and directory.parent == store.root / "zk":
                shutil.rmtree(directory)  # an incomplete setup of ours: replace it
                work.rename(directory)
            else:
                raise ZkError(f"{directory} exists and is not a complete ZK setup") from None
    found = _load(directory, stored.cid)
    assert found is not None
    return found


# --------------------------------------------------------------------------------------------
# Prove / verify
# --------------------------------------------------------------------------------------------


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
