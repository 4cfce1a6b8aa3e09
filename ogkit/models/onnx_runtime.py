"""Runs stored ONNX models with onnxruntime, one cached session per model hash; every run is
stopped at the time budget (`precompiles.limits.MODEL_TIME_BUDGET_S`)."""

from __future__ import annotations

import threading

import numpy as np

from ogkit.models.loop_bound import FLAG_PREFIX
from ogkit.models.watchdog import WATCHDOG
from precompiles import limits
from precompiles.host import ComputeMeter, ModelExecutionError, ModelSpec, TensorSpec


def _dims(shape: list) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in shape)


def _dim_names(shape: list) -> tuple[str | None, ...]:
    """onnxruntime reports a named dynamic dimension (ONNX `dim_param`) as its name."""
    return tuple(d if isinstance(d, str) and d else None for d in shape)


def _spec(arg) -> TensorSpec:  # noqa: ANN001 - onnxruntime's NodeArg
    return TensorSpec(arg.name, arg.type, _dims(arg.shape), _dim_names(arg.shape))


class OnnxModel:
    """A loaded session and the spec the precompile validates requests against."""

    def __init__(
        self,
        data: bytes,
        model_hash: bytes,
        compute: ComputeMeter | None = None,
        budget_s: float | None = None,
        loop_bound: int | None = None,
    ) -> None:
        """`data` may be a graph `bound_loops` capped; `loop_bound` is then its bound, and
        the extra outputs it added are checked after each run, never returned."""
        import onnxruntime as ort  # here, not at import: a chain that runs no model loads none

        self.loop_bound = loop_bound
        self.budget_s = limits.MODEL_TIME_BUDGET_S if budget_s is None else budget_s
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # determinism, and no thread pool per model
        options.inter_op_num_threads = 1
        options.log_severity_level = 4  # errors become reverts; don't also print them
        try:
            self.session = ort.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own hierarchy
            raise ModelExecutionError(f"cannot load model: {exc}") from exc
        self.spec = ModelSpec(
            model_hash=model_hash,
            size_bytes=len(data),
            inputs=tuple(_spec(i) for i in self.session.get_inputs()),
            outputs=tuple(
                _spec(o) for o in self.session.get_outputs() if not o.name.startswith(FLAG_PREFIX)
            ),
            compute=compute,
        )
        self._flags = [o.name for o in self.session.get_outputs() if o.name.startswith(FLAG_PREFIX)]
        self._lock = threading.Lock()

    def run(self, inputs: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
        import onnxruntime as ort  # loaded by __init__ already: a dictionary lookup

        names = [o.name for o in self.spec.outputs]
        options = ort.RunOptions()
        options.log_severity_level = 4
        stopped = False
        try:
            with self._lock:
                ticket = WATCHDOG.arm(options, self.budget_s)
                try:
                    results = self.session.run(names + self._flags, inputs, options)
                finally:
                    stopped = WATCHDOG.disarm(ticket)
        except Exception as exc:  # noqa: BLE001
            if stopped:
                raise ModelExecutionError(
                    f"the model ran over its time budget of {self.budget_s:g} s and was stopped"
                ) from None
            message = str(exc).split("\n")[0]
            raise ModelExecutionError(message) from exc
        if any(bool(np.asarray(flag).any()) for flag in results[len(names) :]):
            raise ModelExecutionError(
                f"a Loop's trip count is over the model's declared bound of {self.loop_bound} "
                "iterations (ogkit models add --max-loop-iterations)"
            )
        return list(zip(names, results[: len(names)], strict=True))
