"""Mocked model outputs, like Foundry's `vm.mockCall`: a (model, exact input) pair answers
given outputs without running the model.

Tests use it to drive a contract down a branch (a low score, a rejected label) without
training a model that produces it. The inputs and outputs are converted with the model's
declared dtypes and shapes exactly as 0xF4 converts a contract's tensors, so a mock keyed
by `{"x": [1.5, 2]}` matches a call sending `Number(15, 1), Number(2, 0)`.

Mocks stack per key: a second mock of the same pair hides the first until it is removed,
so a fixture can mock inside a test and restore the module's mock at teardown.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from ogkit.inference.cache import Outputs, input_key
from precompiles.fixed_point import ONNX_DTYPES, FixedPointError, decimal_to_number, to_array
from precompiles.guard import PrecompileRevert
from precompiles.host import ModelSpec, TensorSpec
from precompiles.inference.models import string_shape
from precompiles.limits import MAX_INPUT_ELEMENTS, MAX_OUTPUT_ELEMENTS

STRING_DTYPE = "tensor(string)"
MAX_ELEMENTS = min(MAX_INPUT_ELEMENTS, MAX_OUTPUT_ELEMENTS)
"""What 0xF4 carries either way; a bigger mock could never match or be returned."""


class MockError(ValueError):
    """A mock whose inputs or outputs do not fit the model (names, dtypes, shapes)."""


def _fit_shape(spec: TensorSpec, array: np.ndarray, what: str) -> np.ndarray:
    """The array in the model's shape: as given if it fits, else reshaped to a static shape
    of the same size (so a flat list works for a [1, 4] input)."""
    shape = array.shape
    fits = len(shape) == len(spec.shape) and all(
        want is None or want == got for want, got in zip(spec.shape, shape, strict=True)
    )
    if fits:
        return array
    if all(d is not None for d in spec.shape) and math.prod(spec.shape) == array.size:
        return array.reshape(spec.shape)
    expected = "[" + ", ".join("?" if d is None else str(d) for d in spec.shape) + "]"
    raise MockError(f"{what} '{spec.name}' has shape {list(shape)}, model expects {expected}")


def _number(value: Any) -> tuple[int, int]:
    """A number as TensorLib carries it, (value, decimals), from its decimal text."""
    if isinstance(value, bool | np.bool_):
        return (int(value), 0)
    if not isinstance(value, int | float | str | Decimal | np.integer | np.floating):
        raise ValueError(f"{value!r} is not a number")
    try:
        return decimal_to_number(str(value))
    except ArithmeticError:  # decimal.InvalidOperation: text that is no number
        raise ValueError(f"{value!r} is not a number") from None


def tensor(spec: TensorSpec, values: Any, what: str = "input") -> np.ndarray:
    """Python values (numbers, strings, nested lists) -> the array 0xF4 would bind."""
    size = np.array(values, dtype=object).size
    if size > MAX_ELEMENTS:
        raise MockError(f"{what} '{spec.name}' has {size} elements, over {MAX_ELEMENTS}")
    if spec.dtype == STRING_DTYPE:
        flat = np.array(values, dtype=object).reshape(-1)
        if not all(isinstance(v, str) for v in flat):
            raise MockError(f"{what} '{spec.name}' is a string tensor: give strings")
        if what == "output":
            return flat  # 0xF4 returns string tensors flat
        try:
            return flat.reshape(string_shape(spec, flat.size))
        except PrecompileRevert as exc:
            raise MockError(str(exc).removeprefix("OGInference: ")) from None
    dtype = ONNX_DTYPES.get(spec.dtype)
    if dtype is None:
        raise MockError(f"{what} '{spec.name}' is {spec.dtype}, which 0xF4 cannot carry")
    raw = np.array(values, dtype=object)
    try:
        flat = to_array([_number(v) for v in raw.reshape(-1)], dtype)
    except (FixedPointError, ArithmeticError, ValueError, TypeError) as exc:
        raise MockError(f"{what} '{spec.name}': {exc}") from None
    return _fit_shape(spec, flat.reshape(raw.shape), what)


def _named(values: Mapping[str, Any] | Iterable[tuple[str, Any]], what: str) -> dict[str, Any]:
    if isinstance(values, Mapping):
        named = dict(values)
    else:
        named = {}
        for item in values:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise MockError(f"{what}s: expected a mapping of name to values")
            named[item[0]] = item[1]
    if not all(isinstance(name, str) for name in named):
        raise MockError(f"{what} names must be strings")
    return named


def bind_mock_inputs(model: ModelSpec, inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Every model input, by name, as 0xF4 binds it."""
    named = _named(inputs, "input")
    expected = [spec.name for spec in model.inputs]
    unexpected = sorted(set(named) - set(expected))
    if unexpected:
        raise MockError(f"unexpected input '{unexpected[0]}'; model inputs are {expected}")
    missing = [name for name in expected if name not in named]
    if missing:
        raise MockError(f"input '{missing[0]}' missing; model inputs are {expected}")
    return {spec.name: tensor(spec, named[spec.name]) for spec in model.inputs}


def bind_mock_outputs(model: ModelSpec, outputs: Mapping[str, Any]) -> Outputs:
    """The given outputs in the model's output order; an output left out is left out of the
    answer too (as a contract reading it would find)."""
    named = _named(outputs, "output")
    expected = [spec.name for spec in model.outputs]
    unexpected = sorted(set(named) - set(expected))
    if unexpected:
        raise MockError(f"unexpected output '{unexpected[0]}'; model outputs are {expected}")
    if not named:
        raise MockError(f"no outputs given; model outputs are {expected}")
    return [
        (spec.name, tensor(spec, named[spec.name], "output"))
        for spec in model.outputs
        if spec.name in named
    ]


class ModelMocks:
    """The mock table: input key (model hash + exact input) -> a stack of outputs."""

    def __init__(self) -> None:
        self._stacks: dict[bytes, list[Outputs]] = {}
        self._lock = threading.Lock()

    def add(self, model: ModelSpec, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> str:
        """Mock one (model, input) pair; returns its key (hex) for `remove`."""
        key = input_key(model.model_hash, bind_mock_inputs(model, inputs))
        answer = bind_mock_outputs(model, outputs)
        with self._lock:
            self._stacks.setdefault(key, []).append(answer)
        return key.hex()

    def remove(self, key: str) -> bool:
        """Undo the latest mock of `key` (an earlier one of the same pair shows again)."""
        try:
            raw = bytes.fromhex(key.removeprefix("0x"))
        except ValueError:
            return False
        with self._lock:
            stack = self._stacks.get(raw)
            if not stack:
                return False
            stack.pop()
            if not stack:
                del self._stacks[raw]
            return True

    def clear(self) -> int:
        """Remove every mock; returns how many pairs were mocked."""
        with self._lock:
            count = len(self._stacks)
            self._stacks.clear()
            return count

    def get(self, key: bytes) -> Outputs | None:
        """The mocked answer for an input key (copies), or None."""
        if not self._stacks:  # the common case: no lock, no copy
            return None
        with self._lock:
            stack = self._stacks.get(key)
            if not stack:
                return None
            return [(name, array.copy()) for name, array in stack[-1]]

    def __len__(self) -> int:
        return len(self._stacks)
