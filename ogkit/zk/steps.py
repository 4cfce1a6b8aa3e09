"""The EZKL steps `setup` runs, one after another, in a scratch directory: settings,
calibration, circuit, SRS, keys, EVM verifier (see `ogkit.zk.artifacts` for the files).

Apart from `setup` so that the orchestration (reuse, atomic rename) reads in a few lines and
each step's EZKL quirks (stderr output, async calls, offline solc download) sit in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx

from ogkit.toolchain import ToolchainError
from ogkit.zk.artifacts import (
    CALIBRATION,
    CALIBRATION_REPORT,
    CIRCUIT,
    DECOMPOSITIONS,
    MANIFEST_FORMAT,
    PK,
    SETTINGS,
    VERIFIER_CONTRACT,
    VERIFIER_JSON,
    VERIFIER_SOL,
    VERIFY_PROOF_SIGNATURE,
    VK,
    ZkError,
    ezkl_version,
    srs_file_name,
)
from ogkit.zk.solidity import compile_verifier

CALIBRATION_TARGET = "resources"  # the fewest rows (smallest logrows) the data allows

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


def _candidate_settings(ezkl, onnx_path: Path, work: Path) -> list[Path]:
    """One settings file per `DECOMPOSITIONS` entry (input private, output public, params
    fixed), in `work/candidates/`."""
    folder = work / "candidates"
    folder.mkdir(exist_ok=True)
    paths = []
    for base, legs in DECOMPOSITIONS:
        run_args = ezkl.PyRunArgs()
        run_args.input_visibility = "private"
        run_args.output_visibility = "public"
        run_args.param_visibility = "fixed"
        run_args.decomp_base = base
        run_args.decomp_legs = legs
        path = folder / f"settings-{base}x{legs}.json"
        if not ezkl.gen_settings(str(onnx_path), str(path), py_run_args=run_args):
            raise ZkError("ezkl.gen_settings failed")
        paths.append(path)
    return paths


def _calibrate_smallest(ezkl, onnx_path: Path, work: Path, candidates: list[Path]) -> None:
    """Calibrate every candidate and keep the one with the smallest logrows (then the fewest
    rows; then the earlier, ezkl's default first) as `settings.json`, with its report."""
    ranked = []
    for index, path in enumerate(candidates):
        report = path.with_suffix(".report.txt")
        with _output_to(report):
            calibrated = ezkl.calibrate_settings(
                str(work / CALIBRATION), str(onnx_path), str(path), CALIBRATION_TARGET
            )
        if calibrated:
            settings = json.loads(path.read_text())
            ranked.append((settings["run_args"]["logrows"], settings["num_rows"], index, path))
    if not ranked:
        raise ZkError("ezkl.calibrate_settings failed")
    *_, best = min(ranked)
    best.replace(work / SETTINGS)
    best.with_suffix(".report.txt").replace(work / CALIBRATION_REPORT)
    for leftover in (work / "candidates").iterdir():
        leftover.unlink()
    (work / "candidates").rmdir()


def run_steps(
    ezkl: ModuleType,
    onnx_path: Path,
    work: Path,
    inputs: Sequence[dict],
    calibration_inputs: Sequence[Mapping[str, np.ndarray]],
    on_step: StepCallback | None = None,
) -> tuple[int, Path, dict, dict[str, float]]:
    """Run `STEPS` on the model at `onnx_path`, writing into `work`.

    Returns (logrows, SRS path, compiled verifier, seconds per step).
    """
    timings: dict[str, float] = {}

    def step(index: int) -> float:
        if on_step is not None:
            on_step(index, STEPS[index])
        return time.perf_counter()

    settings, circuit = str(work / SETTINGS), str(work / CIRCUIT)

    started = step(0)
    candidates = _candidate_settings(ezkl, onnx_path, work)
    timings["settings"] = time.perf_counter() - started

    started = step(1)
    (work / CALIBRATION).write_text(json.dumps(_input_data(inputs, calibration_inputs)))
    _calibrate_smallest(ezkl, onnx_path, work, candidates)
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
    return logrows, srs, built, timings


def build_manifest(
    cid: str,
    logrows: int,
    inputs: list[dict],
    outputs: list[dict],
    srs: Path,
    built: dict,
    timings: dict[str, float],
    decomposition: dict[str, int],
) -> dict:
    """The `zk.json` manifest of a finished setup (what `ZkArtifacts` reads back)."""
    return {
        "format": MANIFEST_FORMAT,
        "cid": cid,
        "ezkl": ezkl_version(),
        "logrows": logrows,
        "visibility": {"input": "private", "output": "public", "params": "fixed"},
        "decomposition": decomposition,
        "decompositions_tried": [list(pair) for pair in DECOMPOSITIONS],
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
