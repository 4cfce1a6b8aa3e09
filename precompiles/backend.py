"""The small interface through which 0xF4 reaches an inference node.

The chain hands a backend in; a test can pass a real in-process node, and a later node can
live in another process behind the same methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from precompiles.result import CallContext


class ModelNotFound(LookupError):  # noqa: N818 - reads as the condition it reports
    """No model is stored or aliased under the requested id.

    `suggestion` is the closest known id, if any: a typo then costs one reading, not a search.
    """

    def __init__(self, *args: object, suggestion: str | None = None) -> None:
        super().__init__(*args)
        self.suggestion = suggestion

    def hint(self) -> str:
        """` (did you mean 'x'?)` or nothing: appended to a "model not found" message."""
        return f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""


class ModelExecutionError(RuntimeError):
    """The runtime refused the inputs or failed while running the model."""


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output as the runtime declares it.

    `dtype` is ONNX's type string, e.g. "tensor(float)"; `None` in `shape` is a dynamic dim.
    `dim_names` holds the ONNX `dim_param` of each dimension (None where it has none), so an
    error can say which dynamic dimension it means.
    """

    name: str
    dtype: str
    shape: tuple[int | None, ...]
    dim_names: tuple[str | None, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ModelSpec:
    model_hash: bytes
    """sha256 of the model file: what results and proofs are keyed by."""
    size_bytes: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


class InferenceBackend(Protocol):
    def resolve(self, model_id: str) -> ModelSpec:
        """Find a model by CID, alias or name; raise `ModelNotFound` if there is none."""
        ...

    def infer(
        self,
        model: ModelSpec,
        mode: int,
        inputs: dict[str, np.ndarray],
        inference_id: str,
        context: CallContext,
    ) -> list[tuple[str, np.ndarray]]:
        """Run (or replay from the record) one inference; outputs in the model's order.

        Raise `ModelExecutionError` for anything the model or runtime rejects.
        """
        ...

    def record(
        self,
        model: ModelSpec,
        mode: int,
        inputs: dict[str, np.ndarray],
        outputs: list[tuple[str, np.ndarray]],
        inference_id: str,
        context: CallContext,
    ) -> None:
        """Keep the record of an inference the precompile returned successfully.

        Called only after every charge succeeded and never in a static call, so a call
        that reverts leaves no record behind.
        """
        ...
