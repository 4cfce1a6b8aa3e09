"""A stored model's manifest: whether its compute can be priced and bounded, and what its
smallest call costs, kept beside the blob as `<store>/manifests/<cid>.json`.

Written by `ogkit models add` (which refuses a model the manifest does not admit) and made
on first use for a model stored without one (an older store, `ModelStore.add` from code).
The manifest is a cache of the verdict: a call's gas is priced from the model itself for
its own input shapes (`ogkit.models.meter`), never read from this file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import onnx

from ogkit.models.cost import Unmeterable, describe, input_shapes_probe, model_cost
from precompiles import gas, limits

ANALYSER_VERSION = 1
"""Bumped when the analysis changes: a manifest of another version is made again."""


@dataclass(frozen=True)
class Manifest:
    admitted: bool
    reason: str = ""
    """Why the model is refused (empty when admitted)."""
    probe_shapes: dict[str, list[int]] = field(default_factory=dict)
    """The smallest call: every dynamic input dimension 1."""
    cost: dict[str, int] = field(default_factory=dict)
    """`ComputeCost` of the smallest call."""
    compute_gas: int = 0
    onnx: bool = True
    """False: onnx cannot parse the file (the runtime's own error then says why)."""
    standard: bool = True
    """False: a node is no standard ONNX operator (onnxruntime may still refuse it itself)."""
    max_loop_iterations: int | None = None
    """Declared at add: a main-graph Loop whose count is an input is priced at, and capped
    to, this many iterations (a call asking for more reverts)."""
    analyser: int = ANALYSER_VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()


def analyse(data: bytes, max_loop_iterations: int | None = None) -> Manifest:
    """The verdict on a model file: refused if its work cannot be known from input shapes
    (and the declared loop bound), or if even its smallest call is over the limits of
    `precompiles.limits`."""
    try:
        model = onnx.load_from_string(data)
    except Exception as exc:  # noqa: BLE001 - protobuf raises its own types
        return Manifest(False, f"not an ONNX file ({str(exc).splitlines()[0]})", onnx=False)
    shapes = input_shapes_probe(model)
    probe = {name: list(shape) for name, shape in shapes.items()}
    custom = _custom_op(model.graph)
    if custom:
        reason = f"{custom} is not a standard ONNX operator, so its cost cannot be known"
        return Manifest(False, reason, probe, standard=False)
    try:
        cost = model_cost(model, shapes, max_loop_iterations)
    except Unmeterable as exc:
        return Manifest(False, str(exc), probe, max_loop_iterations=max_loop_iterations)
    except Exception as exc:  # noqa: BLE001 - a model the analysis trips on is refused, not a crash
        reason = f"the cost analysis fails on it: {type(exc).__name__}: {str(exc)[:200]}"
        return Manifest(False, reason, probe, max_loop_iterations=max_loop_iterations)
    amount = gas.compute_gas(cost.macs, cost.bytes_moved, cost.large_bytes, cost.nodes)
    reason = ""
    if cost.peak_bytes > limits.MAX_MODEL_PEAK_BYTES:
        reason = (
            f"its smallest call needs {cost.peak_bytes / (1 << 20):,.1f} MiB of tensors at once, "
            f"over the {limits.MAX_MODEL_PEAK_BYTES >> 20} MiB limit ({describe(cost)})"
        )
    elif amount > limits.MAX_COMPUTE_GAS:
        reason = (
            f"its smallest call costs {amount:,} compute gas, over the "
            f"{limits.MAX_COMPUTE_GAS:,} limit ({describe(cost)})"
        )
    return Manifest(
        not reason, reason, probe, asdict(cost), amount, max_loop_iterations=max_loop_iterations
    )


def _custom_op(graph: onnx.GraphProto) -> str:
    """The first node (in subgraphs too) whose operator onnx has no schema for, if any."""
    for index, node in enumerate(graph.node):
        if not onnx.defs.has(node.op_type, node.domain):
            return f"node {node.name or index} ({node.op_type} of domain {node.domain!r})"
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH and (found := _custom_op(attribute.g)):
                return found
    return ""


def manifest_path(store_root: Path, cid: str) -> Path:
    return Path(store_root) / "manifests" / f"{cid}.json"


def read_manifest(store_root: Path, cid: str) -> Manifest | None:
    """The stored manifest, or None if there is none, it is unreadable or of an old analyser."""
    try:
        raw = json.loads(manifest_path(store_root, cid).read_bytes())
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError):
        return None
    return manifest if manifest.analyser == ANALYSER_VERSION else None


def write_manifest(store_root: Path, cid: str, manifest: Manifest) -> None:
    path = manifest_path(store_root, cid)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(manifest.to_json())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def ensure_manifest(store_root: Path, cid: str, data: bytes) -> Manifest:
    """The model's manifest, made and written now if it has none (a read-only store still
    gets the verdict, just not the file)."""
    manifest = read_manifest(store_root, cid)
    if manifest is None:
        manifest = analyse(data)
        with contextlib.suppress(OSError):
            write_manifest(store_root, cid, manifest)
    return manifest
