"""Prices one model's runs for the precompile (`ModelSpec.compute`): the static cost for a
call's concrete input shapes, cached per shapes so the hot path is a dictionary look-up."""

from __future__ import annotations

import threading

import onnx

from ogkit.models.cost import Unmeterable, model_cost
from precompiles.host import ComputeCost, ModelExecutionError

CACHE_ENTRIES = 256
"""Distinct input shapes remembered per model (a model with a dynamic dim sees many)."""

Shapes = dict[str, tuple[int, ...]]


class CostMeter:
    """`ModelSpec.compute` for one stored model: shapes in, `ComputeCost` out."""

    def __init__(self, data: bytes, loop_bound: int | None = None) -> None:
        self._data = data
        self._loop_bound = loop_bound
        self._model: onnx.ModelProto | None = None
        self._cache: dict[tuple, ComputeCost | str] = {}
        self._lock = threading.Lock()

    def __call__(self, shapes: Shapes) -> ComputeCost:
        key = tuple(sorted(shapes.items()))
        found = self._cache.get(key)
        if found is None:
            found = self._price(shapes)
            with self._lock:
                if len(self._cache) >= CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[key] = found
        if isinstance(found, str):
            raise ModelExecutionError(found)
        return found

    def _price(self, shapes: Shapes) -> ComputeCost | str:
        with self._lock:
            if self._model is None:
                self._model = onnx.load_from_string(self._data)
            model = self._model
        try:
            return model_cost(model, shapes, self._loop_bound)
        except Unmeterable as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - becomes the call's revert reason
            return f"the cost analysis fails: {type(exc).__name__}: {str(exc)[:200]}"
