"""Fixed point <-> numpy, by OpenGradient's SDK and inference-node rules (reference §5-6).

The SDK rule is re-implemented here from its description (`Decimal(str(x)).normalize()`),
and exact rationals (`Fraction`) check every conversion independently of the code under test.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from precompiles.fixed_point import (
    INT128_MAX,
    INT128_MIN,
    MAX_DECIMALS,
    FixedPointError,
    check_decimals,
    from_array,
    to_array,
)

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]
int128 = st.integers(INT128_MIN, INT128_MAX)
decimals_ok = st.integers(-MAX_DECIMALS, MAX_DECIMALS)


def sdk_number(x: np.generic) -> tuple[int, int] | None:
    """The SDK rule, from its description: normalise `Decimal(str(x))`; its signed digits are
    `value`; a non-negative exponent scales `value` (decimals 0), a negative one is `decimals`.
    None when the result does not fit int128."""
    with localcontext() as ctx:
        ctx.prec = 400  # exact for every float64 repr
        d = Decimal(str(x)).normalize()
        exponent = d.as_tuple().exponent
        decimals = -exponent if exponent < 0 else 0
        value = int(d.scaleb(decimals))
    assert Fraction(value, 10**decimals) == Fraction(str(x))  # the rule loses nothing
    if not INT128_MIN <= value <= INT128_MAX:
        return None
    return value, decimals


def representable(x: np.generic) -> bool:
    """Fits int128 fixed point with decimals the node accepts back as input."""
    number = sdk_number(x)
    return number is not None and number[1] <= MAX_DECIMALS


def float_arrays(dtype: type) -> st.SearchStrategy[np.ndarray]:
    width = np.finfo(dtype).bits
    elements = st.floats(width=width, allow_nan=False, allow_infinity=False).filter(
        lambda x: representable(dtype(x))
    )
    return hnp.arrays(
        dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=elements
    )


# --- documented examples (reference §5-6) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.array([1.5]), ((15, 1),)),
        (np.array([10.0]), ((10, 0),)),
        (np.array([10], dtype=np.int64), ((10, 0),)),
        (np.array([0.07286679744720459], dtype=np.float64), ((7286679744720459, 17),)),
        (np.array([0.1], dtype=np.float32), ((1, 1),)),
        (np.array([0.1], dtype=np.float64), ((1, 1),)),
        (np.array([-2.5e-7], dtype=np.float32), ((-25, 8),)),
        (np.array([1e20], dtype=np.float64), ((10**20, 0),)),
        (np.array([0.0, -0.0]), ((0, 0), (0, 0))),
        (np.array([True, False]), ((1, 0), (0, 0))),
        (np.array([2**64 - 1], dtype=np.uint64), ((2**64 - 1, 0),)),
        (np.array([-(2**63)], dtype=np.int64), ((-(2**63), 0),)),
        # row-major flattening
        (np.array([[1.0, 2.0], [3.0, 4.5]], dtype=np.float32), ((1, 0), (2, 0), (3, 0), (45, 1))),
    ],
)
def test_from_array_documented(array: np.ndarray, expected: tuple) -> None:
    assert from_array(array) == expected


def test_float32_goes_through_its_shortest_repr() -> None:
    x = np.float32(0.1)
    assert float(x) == 0.10000000149011612  # what float64 would expand
    assert from_array(np.array([x])) == ((1, 1),)
    assert from_array(np.array([float(x)])) == ((10000000149011612, 17),)


@pytest.mark.parametrize(
    ("number", "dtype", "expected"),
    [
        ((15, 1), np.float32, 1.5),
        ((10, 0), np.float64, 10.0),
        ((7286679744720459, 17), np.float64, 0.07286679744720459),
        ((1, 1), np.float32, np.float32(0.1)),
        ((1, -18), np.float64, 1e18),
        ((1, 18), np.float64, 1e-18),
        ((-5, 0), np.int8, -5),
        ((1000, 3), np.int16, 1),
        ((7, -2), np.uint16, 700),
        ((1, 0), np.bool_, True),
        ((0, 5), np.bool_, False),
        ((34028235 * 10**13, -18), np.float32, np.finfo(np.float32).max),  # still finite
        ((65504, 0), np.float16, 65504.0),
    ],
)
def test_to_array_documented(number: tuple[int, int], dtype: type, expected: object) -> None:
    out = to_array([number], np.dtype(dtype))
    assert out.dtype == np.dtype(dtype)
    assert out.tolist() == [expected]


# --- round trips and the SDK rule (properties) ----------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(float_arrays(np.float32))
def test_float32_round_trip(array: np.ndarray) -> None:
    back = to_array(from_array(array), np.dtype(np.float32)).reshape(array.shape)
    assert back.dtype == np.float32
    assert np.array_equal(back, array)  # -0.0 comes back as 0.0: fixed point has no -0


@settings(max_examples=300, deadline=None)
@given(float_arrays(np.float64))
def test_float64_round_trip(array: np.ndarray) -> None:
    back = to_array(from_array(array), np.dtype(np.float64)).reshape(array.shape)
    assert back.dtype == np.float64
    assert np.array_equal(back, array)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([np.float16, np.float32, np.float64]).flatmap(
        lambda dt: hnp.arrays(
            dt,
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
            elements=st.floats(width=np.finfo(dt).bits, allow_nan=False, allow_infinity=False),
        )
    )
)
def test_from_array_follows_sdk_rule(array: np.ndarray) -> None:
    expected = [sdk_number(x) for x in array.reshape(-1)]
    if None in expected:
        with pytest.raises(FixedPointError, match="does not fit int128 fixed point"):
            from_array(array)
    else:
        assert from_array(array) == tuple(expected)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(INT_DTYPES).flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(max_side=4))))
def test_int_arrays_exact(array: np.ndarray) -> None:
    numbers = from_array(array)
    assert numbers == tuple((int(x), 0) for x in array.reshape(-1))
    assert np.array_equal(to_array(numbers, array.dtype).reshape(array.shape), array)


@settings(max_examples=300, deadline=None)
@given(int128, decimals_ok)
def test_float64_input_is_correctly_rounded(value: int, decimals: int) -> None:
    (out,) = to_array([(value, decimals)], np.dtype(np.float64))
    assert out == float(Fraction(value) / Fraction(10) ** decimals)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**12), 10**12), decimals_ok)
def test_float32_input_is_rounded_like_the_node(value: int, decimals: int) -> None:
    """The node divides in Python floats, then casts to the ONNX dtype."""
    (out,) = to_array([(value, decimals)], np.dtype(np.float32))
    assert out == np.float32(float(Fraction(value) / Fraction(10) ** decimals))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(INT_DTYPES), st.data())
def test_int_dtypes_accept_whole_numbers_in_range(dtype: type, data: st.DataObject) -> None:
    info = np.iinfo(dtype)
    whole = data.draw(st.integers(int(info.min), int(info.max)))
    zeros = data.draw(st.integers(0, MAX_DECIMALS))
    # the same whole number written with trailing zeros, and with a negative exponent
    assert to_array([(whole * 10**zeros, zeros)], np.dtype(dtype)).tolist() == [whole]
    if whole % 10 == 0 and whole:
        assert to_array([(whole // 10, -1)], np.dtype(dtype)).tolist() == [whole]


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_int_out_of_range(dtype: type) -> None:
    info = np.iinfo(dtype)
    name = np.dtype(dtype).name
    assert to_array([(int(info.min), 0), (int(info.max), 0)], np.dtype(dtype)).tolist() == [
        int(info.min),
        int(info.max),
    ]
    for bad in (int(info.max) + 1, int(info.min) - 1):
        with pytest.raises(FixedPointError) as exc:
            to_array([(bad, 0)], np.dtype(dtype))
        assert str(exc.value) == f"{bad} out of range for {name}"
    # out of range only once scaled by a negative exponent
    scaled = -(-(int(info.max) + 1) // 10)  # the smallest v with v * 10 > max
    with pytest.raises(FixedPointError) as exc:
        to_array([(scaled, -1)], np.dtype(dtype))
    assert str(exc.value) == f"{scaled * 10} out of range for {name}"
    assert to_array([(scaled - 1, -1)], np.dtype(dtype)).tolist() == [(scaled - 1) * 10]


def test_bool_out_of_range() -> None:
    with pytest.raises(FixedPointError) as exc:
        to_array([(2, 0)], np.dtype(np.bool_))
    assert str(exc.value) == "2 out of range for bool"


@pytest.mark.parametrize("dtype", [*INT_DTYPES, np.bool_])
@pytest.mark.parametrize(
    ("number", "text"), [((15, 1), "1.5"), ((-1, 18), "-1E-18"), ((10001, 4), "1.0001")]
)
def test_int_non_whole(dtype: type, number: tuple[int, int], text: str) -> None:
    with pytest.raises(FixedPointError) as exc:
        to_array([number], np.dtype(dtype))
    assert str(exc.value) == f"{text} is not a whole number for {np.dtype(dtype).name}"


@pytest.mark.parametrize("dtype", [*FLOAT_DTYPES, *INT_DTYPES])
@pytest.mark.parametrize("decimals", [19, -19, 100, INT128_MAX, INT128_MIN])
def test_decimals_outside_range(dtype: type, decimals: int) -> None:
    message = f"decimals {decimals} outside [-18, 18]"
    with pytest.raises(FixedPointError) as exc:
        to_array([(1, 0), (0, decimals)], np.dtype(dtype))
    assert str(exc.value) == message
    with pytest.raises(FixedPointError) as exc:
        check_decimals(decimals)
    assert str(exc.value) == message
    check_decimals(18)
    check_decimals(-18)


@pytest.mark.parametrize(
    ("number", "dtype"),
    [
        ((10**39, 0), np.float32),
        ((-(10**39), 0), np.float32),
        ((34028236 * 10**13, -18), np.float32),  # past float32 max + half an ulp
        ((INT128_MAX, -18), np.float32),
        ((65520, 0), np.float16),
    ],
)
def test_float_overflow_to_inf(number: tuple[int, int], dtype: type) -> None:
    with pytest.raises(FixedPointError) as exc:
        to_array([number], np.dtype(dtype))
    assert str(exc.value) == f"value out of range for {np.dtype(dtype).name}"


def test_float64_never_overflows_from_int128() -> None:
    out = to_array([(INT128_MAX, -18), (INT128_MIN, -18)], np.dtype(np.float64))
    assert out.tolist() == [float(INT128_MAX * 10**18), float(INT128_MIN * 10**18)]


@pytest.mark.parametrize(
    "array",
    [
        np.array([1.0, np.nan]),
        np.array([np.inf]),
        np.array([-np.inf], dtype=np.float32),
        np.array([[0.5], [np.nan]], dtype=np.float32),
    ],
)
def test_non_finite_outputs(array: np.ndarray) -> None:
    with pytest.raises(FixedPointError) as exc:
        from_array(array)
    assert str(exc.value) == "model output is not finite (NaN or infinity)"


@pytest.mark.parametrize(
    ("array", "text"),
    [
        (np.array([1e39]), "1e+39"),
        (np.array([np.finfo(np.float32).max]), "3.4028235e+38"),
        (np.array([-1.8e38]), "-1.8e+38"),
    ],
)
def test_output_beyond_int128(array: np.ndarray, text: str) -> None:
    with pytest.raises(FixedPointError) as exc:
        from_array(array)
    assert str(exc.value) == f"{text} does not fit int128 fixed point"


def test_output_dtype_without_fixed_point_form() -> None:
    with pytest.raises(FixedPointError) as exc:
        from_array(np.array([1 + 2j]))
    assert str(exc.value) == "output dtype complex128 has no fixed-point form"


def test_tiny_outputs_keep_all_digits() -> None:
    """Outputs are not capped at 18 decimals (only inputs are): nothing is lost."""
    assert from_array(np.array([1.25e-20])) == ((125, 22),)
    assert from_array(np.array([1e-45], dtype=np.float32)) == ((1, 45),)
