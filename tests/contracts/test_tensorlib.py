"""TensorLib (and the ModelOutputs readers the examples share) on the `opengradient:local`
chain, through the test-only contracts/test/TensorLibHarness.sol."""

from __future__ import annotations

import itertools
import math

import ape
import pytest
from eth_abi import encode

# Upstream's reasons (OpenGradient's TensorLib), so tests written against it pass here.
OOB = "Index out of bounds"
RANK = "Indices dimension mismatch"


@pytest.fixture(scope="module")
def h(project, accounts):
    return accounts[0].deploy(project.TensorLibHarness)


def rows2d(rows) -> bytes:
    """`abi.encode(Number[][])` (Ape 0.8 cannot encode a struct[][] argument itself)."""
    return encode(["(int128,int128)[][]"], [rows])


def plain(tensor) -> tuple[str, list[tuple[int, int]], list[int]]:
    name, values, shape = tensor
    return name, [tuple(v) for v in values], list(shape)


def test_number_tensor_1d(h):
    assert plain(h.oneD([(1, 0), (15, 1), (-7, 18)])) == ("x", [(1, 0), (15, 1), (-7, 18)], [3])
    assert plain(h.oneD([])) == ("x", [], [0])


def test_number_tensor_2d_is_row_major(h):
    rows = [[(1, 0), (2, 0), (3, 0)], [(4, 0), (5, 0), (6, 0)]]
    assert plain(h.twoD(rows2d(rows))) == ("m", [(i, 0) for i in range(1, 7)], [2, 3])
    assert plain(h.twoD(rows2d([[(9, 1)]]))) == ("m", [(9, 1)], [1, 1])
    with ape.reverts("Input array must be non-empty"):
        h.twoD(rows2d([]))
    with ape.reverts("Input array must be non-empty"):
        h.twoD(rows2d([[], []]))
    with ape.reverts("All rows must have the same length"):
        h.twoD(rows2d([[(1, 0)], [(2, 0), (3, 0)]]))
    with ape.reverts("All rows must have the same length"):
        h.twoD(rows2d([[(1, 0), (2, 0)], [(3, 0)]]))


def test_number_tensor_nd_is_zero_filled(h):
    assert plain(h.nd([2, 3, 4])) == ("z", [(0, 0)] * 24, [2, 3, 4])
    assert plain(h.nd([5])) == ("z", [(0, 0)] * 5, [5])
    with ape.reverts("Dimensions array must not be empty"):
        h.nd([])
    with ape.reverts("All dimensions must be positive"):
        h.nd([2, 0])


def test_number_tensor_nd_keeps_the_callers_dims_as_its_shape(h):
    """Upstream's numberTensorND stores the `dims` array itself, so a later write shows."""
    assert plain(h.ndThenChangeDims([2, 3])) == ("z", [(0, 0)] * 6, [9, 3])


def test_rank_specific_set_value_needs_that_rank(h):
    assert plain(h.setRank([2], 1))[1] == [(1, 0), (0, 0)]
    assert plain(h.setRank([1, 2], 2))[1] == [(1, 0), (0, 0)]
    assert plain(h.setRank([1, 1, 2], 3))[1] == [(1, 0), (0, 0)]
    for dims, rank in (([1, 2], 1), ([2], 2), ([1, 1, 2], 2), ([1, 2], 3)):
        with ape.reverts(f"This function is for {rank}D tensors only"):
            h.setRank(dims, rank)


def test_set_value_overloads_write_row_major(h):
    assert plain(h.set1(2))[1] == [(0, 0), (0, 0), (11, 1)]
    values = plain(h.set2(1, 2))[1]
    assert values.index((22, 2)) == 1 * 3 + 2 and values.count((0, 0)) == 5
    values = plain(h.set3(1, 2, 3))[1]
    assert values.index((33, 3)) == (1 * 3 + 2) * 4 + 3 and values.count((0, 0)) == 23
    values = plain(h.setN([2, 2, 2, 2], [1, 0, 1, 1]))[1]
    assert values.index((-44, 0)) == 0b1011 and len(values) == 16


def test_set_value_out_of_bounds(h):
    with ape.reverts(OOB):
        h.set1(3)
    with ape.reverts(OOB):
        h.set2(2, 0)
    with ape.reverts(OOB):
        h.set2(0, 3)
    with ape.reverts(OOB):
        h.set3(0, 0, 4)
    with ape.reverts(RANK):
        h.setN([2, 3], [0, 0, 0])  # too many indices
    with ape.reverts(RANK):
        h.setN([2, 3], [0])  # too few
    # a tensor whose shape claims more values than it has (as a model might return)
    with ape.reverts(OOB):
        h.setOn(("bad", [(1, 0)], [4]), [3], (5, 0))
    assert plain(h.setOn(("ok", [(1, 0), (2, 0)], [2]), [1], (5, 0)))[1] == [(1, 0), (5, 0)]


def test_get_value_and_flat_index(h):
    t = plain(h.setN([2, 2, 2, 2], [1, 0, 1, 1]))
    assert tuple(h.get(t, [1, 0, 1, 1])) == (-44, 0)
    assert tuple(h.get(t, [1, 0, 1, 0])) == (0, 0)
    for bad in ([2, 0, 0, 0], [0, 0, 0, 2]):
        with ape.reverts(OOB):
            h.get(t, bad)
    for bad in ([0, 0, 0], [0, 0, 0, 0, 0]):
        with ape.reverts(RANK):
            h.get(t, bad)
    with ape.reverts(OOB):
        h.get(("bad", [(1, 0)], [4]), [3])
    shape = [3, 4, 5]
    t = ("t", [(i, 0) for i in range(60)], shape)
    for idx in ([0, 0, 0], [1, 2, 3], [2, 3, 4], [2, 0, 1]):
        expected = (idx[0] * 4 + idx[1]) * 5 + idx[2]
        assert h.flatIndex(t, idx) == expected
        assert tuple(h.get(t, idx)) == (expected, 0)


@pytest.mark.parametrize("dims", [[7], [2, 3], [3, 1, 2], [2, 2, 1, 3]])
def test_round_trip_reads_every_index_in_row_major_order(h, dims):
    """numberTensorND + getValue over all indices, last index fastest: 0, 1, 2, ..."""
    assert list(h.roundTrip(dims)) == list(range(math.prod(dims)))
    # and the same order as Python's row-major iteration
    order = list(itertools.product(*(range(d) for d in dims)))
    assert [h.flatIndex(("r", [(0, 0)] * len(order), dims), list(i)) for i in order[:6]] == list(
        range(min(6, len(order)))
    )


def test_to_wad(h):
    assert h.toWad((123, 4)) == 123 * 10**14  # 0.0123
    assert h.toWad((5, 0)) == 5 * 10**18
    assert h.toWad((-15, 1)) == -15 * 10**17
    assert h.toWad((7286679744720459, 17)) == 72866797447204590
    assert h.toWad((123456789, 20)) == 1234567  # truncates past 18 decimals
    assert h.toWad((-123456789, 20)) == -1234567  # toward zero
    assert h.toWad((10**30, 80)) == 0
    assert h.toWad((3, -20)) == 3 * 10**38  # 38 decimal shifts still fit
    assert h.toWad((0, -100)) == 0
    with ape.reverts(h.NumberOutOfRange, value=1, decimals=-21):
        h.toWad((1, -21))


def test_output_readers(h):
    output = (
        [("a", [(1, 0)], [1]), ("volatility", [(65, 4), (1, 0)], [2]), ("empty", [], [0])],
        [("label", ["low"]), ("none", [])],
        [],
        False,
    )
    assert tuple(h.firstNumber(output, "volatility")) == (65, 4)
    assert h.firstString(output, "label") == "low"
    with ape.reverts(h.OutputNotFound, name="label"):
        h.firstNumber(output, "label")  # a string tensor is not a number tensor
    with ape.reverts(h.OutputNotFound, name="Volatility"):
        h.firstNumber(output, "Volatility")  # names are exact
    with ape.reverts(h.EmptyOutput, name="empty"):
        h.firstNumber(output, "empty")
    with ape.reverts(h.EmptyOutput, name="none"):
        h.firstString(output, "none")
