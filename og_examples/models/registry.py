"""The example models by name, and writing them to files: what demos, tests and the model
store reach the example families through (`og_examples.models` re-exports all of it)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from og_examples.models import credit_risk, sentiment, upstream_demo, volatility

_FAMILIES = (volatility, credit_risk, sentiment, upstream_demo)


@dataclass(frozen=True)
class ExampleModel:
    """A named example model; `build` returns its serialised ONNX bytes (deterministic)."""

    name: str
    description: str
    build: Callable[[], bytes]


EXAMPLES_DOC: dict[str, str] = {family.NAME: family.DOC for family in _FAMILIES}
EXAMPLES: dict[str, ExampleModel] = {
    family.NAME: ExampleModel(family.NAME, family.DOC, family.build) for family in _FAMILIES
}
_SAMPLES: dict[str, Callable[[], dict[str, np.ndarray]]] = {
    family.NAME: family.sample for family in _FAMILIES
}


def build_examples(out_dir: Path) -> dict[str, Path]:
    """Write every example as ``<out_dir>/<name>.onnx`` so demos and the model store can load them.

    Idempotent: a file whose bytes are already right is left untouched (mtime included);
    otherwise it is replaced atomically, so a concurrent reader never sees half a model.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, example in EXAMPLES.items():
        data = example.build()
        path = out_dir / f"{name}.onnx"
        if not (path.is_file() and path.read_bytes() == data):
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(tmp, 0o644)  # mkstemp makes it 0600; models are not secrets
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        paths[name] = path
    return paths


def fit_quality() -> dict[str, dict[str, float]]:
    """In-sample and held-out fit metrics of the fitted examples, for docs and sanity checks."""
    return {"volatility": dict(volatility.fit()[2]), "credit_risk": dict(credit_risk.fit()[2])}


def sample_input(name: str) -> dict[str, np.ndarray]:
    """A realistic, valid input for example `name`, keyed by input name (for demos and tests)."""
    if name not in _SAMPLES:
        raise KeyError(f"unknown example model {name!r}; known: {sorted(EXAMPLES)}")
    return _SAMPLES[name]()
