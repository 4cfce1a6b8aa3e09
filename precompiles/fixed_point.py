"""OpenGradient's fixed-point numbers <-> numpy arrays, by the SDK and inference-node rules.

`Number(value, decimals)` means value / 10**decimals. Inputs are converted to the ONNX input
dtype (reference §6); outputs are expanded from the shortest decimal repr of each element, so
float32 0.1 becomes (1, 1), exactly as OpenGradient's SDK does for inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from precompiles.inference.types import Number

MAX_DECIMALS = 18
"""The inference node rejects `decimals > 18`; we also reject `< -18` (10**-d would be huge)."""

INT128_MIN = -(1 << 127)
INT128_MAX = (1 << 127) - 1

ONNX_DTYPES: dict[str, np.dtype] = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(double)": np.dtype(np.float64),
    "tensor(float16)": np.dtype(np.float16),
    "tensor(int8)": np.dtype(np.int8),
    "tensor(int16)": np.dtype(np.int16),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(uint8)": np.dtype(np.uint8),
    "tensor(uint16)": np.dtype(np.uint16),
    "tensor(uint32)": np.dtype(np.uint32),
    "tensor(uint64)": np.dtype(np.uint64),
    "tensor(bool)": np.dtype(np.bool_),
}
_EXACT_FLOAT = 1 << 53


class FixedPointError(ValueError):
    """A value that cannot be represented in the requested form."""


def check_decimals(decimals: int) -> None:
    if not -MAX_DECIMALS <= decimals <= MAX_DECIMALS:
        raise FixedPointError(f"decimals {decimals} outside [-{MAX_DECIMALS}, {MAX_DECIMALS}]")


def _floats(values: Sequence[Number], dtype: np.dtype) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    for i, (value, decimals) in enumerate(values):
        if decimals >= 0 and -_EXACT_FLOAT < value < _EXACT_FLOAT:
            out[i] = value / 10.0**decimals  # both exact, and IEEE division rounds correctly
        elif decimals >= 0:
            out[i] = value / 10**decimals  # Python int division is correctly rounded too
        else:
            out[i] = float(value * 10**-decimals)
    with np.errstate(over="ignore"):
        converted = out.astype(dtype)
    if not np.all(np.isfinite(converted)):
        raise FixedPointError(f"value out of range for {dtype.name}")
    return converted


def _integers(values: Sequence[Number], dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype) if dtype != np.bool_ else None
    low, high = (0, 1) if info is None else (int(info.min), int(info.max))
    ints = []
    for value, decimals in values:
        if decimals >= 0:
            whole, rest = divmod(value, 10**decimals)
            if rest:
                raise FixedPointError(
                    f"{Decimal(value).scaleb(-decimals)} is not a whole number for {dtype.name}"
                )
        else:
            whole = value * 10**-decimals
        if not low <= whole <= high:
            raise FixedPointError(f"{whole} out of range for {dtype.name}")
        ints.append(whole)
    return np.array(ints, dtype=dtype)


def to_array(values: Sequence[Number], dtype: np.dtype) -> np.ndarray:
    """Flat fixed-point values -> a flat array of `dtype`, rejecting anything that won't fit."""
    for _, decimals in values:
        check_decimals(decimals)
    if dtype.kind == "f":
        return _floats(values, dtype)
    return _integers(values, dtype)


def decimal_to_number(text: str) -> Number:
    """Decimal text -> (value, decimals) by the SDK rule: normalised digits and exponent."""
    sign, digits, exponent = Decimal(text).normalize().as_tuple()
    if not isinstance(exponent, int):
        raise FixedPointError(f"{text} is not a finite number")
    value = int("".join(map(str, digits)) or "0")
    if sign:
        value = -value
    if exponent >= 0:
        number = (value * 10**exponent, 0)
    else:
        number = (value, -exponent)
    if not INT128_MIN <= number[0] <= INT128_MAX:
        raise FixedPointError(f"{text} does not fit int128 fixed point")
    return number


def from_array(array: np.ndarray) -> tuple[Number, ...]:
    """Any numeric array -> fixed-point numbers, flattened row-major."""
    flat = np.asarray(array).reshape(-1)
    kind = flat.dtype.kind
    if kind == "b":
        return tuple((int(x), 0) for x in flat)
    if kind in "iu":
        return tuple((int(x), 0) for x in flat)
    if kind == "f":
        if not np.all(np.isfinite(flat)):
            raise FixedPointError("model output is not finite (NaN or infinity)")
        # str() of a numpy float is its shortest round-tripping repr for that precision.
        return tuple(decimal_to_number(str(x)) for x in flat)
    raise FixedPointError(f"output dtype {flat.dtype} has no fixed-point form")


def number_to_float(number: Number) -> float:
    """value / 10**decimals as the SDK reads outputs (before its float32 cast)."""
    value, decimals = number
    return float(Decimal(value).scaleb(-decimals))


def to_number(x: float | int | np.generic) -> Number:
    """A Python or numpy scalar as OpenGradient's SDK sends it (float32 via its shortest repr)."""
    return decimal_to_number(str(x))
