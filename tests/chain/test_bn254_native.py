"""ecAdd / ecMul / ecPairing computed by revm (ogkit/chain/bn254.py) against py-evm's own
py_ecc implementations: every message goes through py-evm's `apply_message` on the AI chain
twice, once with THE precompile map and once with py-evm's Prague functions at 0x06–0x08,
and both must give the same success, output, gas and error."""

from __future__ import annotations

import logging
import threading

import pytest
from eth.exceptions import OutOfGas, VMError
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from ogkit.chain import bn254
from ogkit.chain.assembly import ChainServices, mining_chain_class, precompile_map
from ogkit.chain.bn254 import (
    ECADD_ADDRESS,
    ECMUL_ADDRESS,
    ECPAIRING_ADDRESS,
    NATIVE_BN254,
)
from ogkit.chain.tester import new_tester
from ogkit.chain.tracing import tracing_vm_class
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore

P = bn.field_modulus
N = bn.curve_order
ADDRESSES = (ECADD_ADDRESS, ECMUL_ADDRESS, ECPAIRING_ADDRESS)
ORIGIN = bytes.fromhex("5a" * 20)
DIFF = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> ChainServices:
    return ChainServices(InferenceEngine(ModelStore(tmp_path_factory.mktemp("models"))))


@pytest.fixture(scope="module")
def chain_state(services: ChainServices):
    """A state of the AI chain (eth-tester over THE map) and py-evm's computation class."""
    state = new_tester(services=services).backend.chain.get_vm().state
    py_evm = state.computation_class.configure(
        __name__="PyEccComputation",
        _precompiles={
            **state.computation_class._precompiles,
            **{a: PragueComputation._precompiles[a] for a in ADDRESSES},
        },
    )
    return state, py_evm


def _apply(state, computation_class, address: bytes, data: bytes, gas: int) -> tuple:
    message = Message(
        gas=gas, to=address, sender=ORIGIN, value=0, data=data, code=b"", code_address=address
    )
    context = state.get_transaction_context_class()(gas_price=10**9, origin=ORIGIN)
    c = computation_class.apply_message(state, message, context)
    error = None if c.is_success else (type(c.error), str(c.error))
    return c.is_success, bytes(c.output), c.get_gas_used(), c.get_gas_remaining(), error


def same_outcome(chain_state, address: bytes, data: bytes, gas: int = 10**7) -> tuple:
    """Both outcomes, asserted equal; returns the native one."""
    state, py_evm = chain_state
    assert state.computation_class._precompiles[address] is NATIVE_BN254[address]
    native = _apply(state, state.computation_class, address, data, gas)
    reference = _apply(state, py_evm, address, data, gas)
    assert native == reference
    return native


# --- inputs -----------------------------------------------------------------------------------


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def g1(k: int) -> tuple[int, int]:
    x, y = bn.normalize(bn.multiply(bn.G1, k % N))
    return (x.n, y.n) if k % N else (0, 0)


def g2_words(point) -> bytes:
    """EVM order: x imaginary, x real, y imaginary, y real."""
    (xr, xi), (yr, yi) = point[0].coeffs, point[1].coeffs
    return b"".join(word(int(v)) for v in (xi, xr, yi, yr))


def g2(k: int) -> bytes:
    if k % N == 0:
        return bytes(128)
    return g2_words(bn.normalize(bn.multiply(bn.G2, k % N)))


def fq2_sqrt(a: bn.FQ2) -> bn.FQ2 | None:
    """A square root in FQ2 (p = 3 mod 4: Adj and Rodríguez-Henríquez, algorithm 9)."""
    a1 = a ** ((P - 3) // 4)
    alpha = a1 * a1 * a
    if alpha**P * alpha == bn.FQ2([P - 1, 0]):
        return None
    x0 = a1 * a
    if alpha == bn.FQ2([P - 1, 0]):
        return bn.FQ2([0, 1]) * x0
    return (bn.FQ2([1, 0]) + alpha) ** ((P - 1) // 2) * x0


def g2_outside_subgroup(seed: int) -> bytes:
    """A point on the twist curve y² = x³ + b2 that is not in the order-N subgroup."""
    for t in range(seed, seed + 200):
        x = bn.FQ2([t, 1])
        y = fq2_sqrt(x**3 + bn.b2)
        if y is None:
            continue
        assert y * y == x**3 + bn.b2
        point = (x, y, bn.FQ2.one())
        assert bn.is_on_curve(point, bn.b2)
        if not bn.is_inf(bn.multiply(point, N)):
            return g2_words((x, y))
    raise AssertionError("no point found")


scalars = st.one_of(
    st.sampled_from([0, 1, 2, N - 1, N, N + 1, 2**256 - 1]),
    st.integers(min_value=0, max_value=2**256 - 1),
)


@st.composite
def g1_words(draw: st.DrawFn) -> bytes:
    """A valid point, infinity, an off-curve point, or a coordinate >= p."""
    kind = draw(st.sampled_from(["valid", "valid", "infinity", "off-curve", ">= p", "huge"]))
    if kind == "infinity":
        return bytes(64)
    if kind == "off-curve":
        x, y = draw(st.integers(0, P - 1)), draw(st.integers(1, P - 1))
        return word(x) + word(y)
    if kind == "huge":
        return word(draw(st.integers(P, 2**256 - 1))) + word(draw(st.integers(0, 2**256 - 1)))
    x, y = g1(draw(st.integers(1, N - 1)))
    if kind == ">= p":
        x, y = (x + P, y) if draw(st.booleans()) and x + P < 2**256 else (x, y + P)
    return word(x) + word(y)


@st.composite
def resized(draw: st.DrawFn, data: bytes) -> bytes:
    """`data`, or a prefix of it (py-evm pads with zeros), or it with bytes after it."""
    how = draw(st.sampled_from(["as is", "as is", "short", "long"]))
    if how == "short":
        return data[: draw(st.integers(0, len(data)))]
    if how == "long":
        return data + draw(st.binary(min_size=1, max_size=80))
    return data


gas_amounts = st.one_of(st.just(10**7), st.integers(0, 300_000))


# --- 0x06 and 0x07 ----------------------------------------------------------------------------


@DIFF
@given(g1_words(), g1_words(), gas_amounts, st.data())
def test_ecadd_matches_py_evm(chain_state, a: bytes, b: bytes, gas: int, data) -> None:
    same_outcome(chain_state, ECADD_ADDRESS, data.draw(resized(a + b)), gas)


@DIFF
@given(g1_words(), scalars, gas_amounts, st.data())
def test_ecmul_matches_py_evm(chain_state, point: bytes, k: int, gas: int, data) -> None:
    same_outcome(chain_state, ECMUL_ADDRESS, data.draw(resized(point + word(k))), gas)


def test_ecadd_and_ecmul_exact_values(chain_state) -> None:
    g, two_g = g1(1), g1(2)
    g_words, two_g_words = word(g[0]) + word(g[1]), word(two_g[0]) + word(two_g[1])
    # G + infinity: the missing 64 bytes are zeros
    assert same_outcome(chain_state, ECADD_ADDRESS, g_words)[:3] == (True, g_words, 150)
    assert same_outcome(chain_state, ECADD_ADDRESS, g_words * 2)[1] == two_g_words
    top = g1((2**256 - 1) % N)
    for k, expected in (
        (0, bytes(64)),
        (N, bytes(64)),
        (N + 1, g_words),
        (2, two_g_words),
        (2**256 - 1, word(top[0]) + word(top[1])),
    ):
        ok, out, gas_used, _, _ = same_outcome(chain_state, ECMUL_ADDRESS, g_words + word(k))
        assert (ok, out, gas_used) == (True, expected, 6000)
    minus_g = word(g[0]) + word(P - g[1])
    assert same_outcome(chain_state, ECADD_ADDRESS, g_words + minus_g)[1] == bytes(64)


def test_invalid_points_fail_the_frame_with_py_evms_error(chain_state) -> None:
    off_curve = word(1) + word(3)
    for address, data, reason in (
        (ECADD_ADDRESS, off_curve + bytes(64), "Invalid ECADD parameters"),
        (ECMUL_ADDRESS, word(1) + word(2 + P) + word(5), "Invalid ECMUL parameters"),
    ):
        ok, out, gas_used, remaining, error = same_outcome(chain_state, address, data, 50_000)
        assert (ok, out, gas_used, remaining) == (False, b"", 50_000, 0)
        assert error == (VMError, reason)


def test_gas_is_charged_before_computing(chain_state) -> None:
    g = g1(1)
    pair = word(g[0]) + word(g[1]) + g2(1)
    g_words, two_g = word(g[0]) + word(g[1]), g1(2)
    for address, data, cost, output in (
        (ECADD_ADDRESS, g_words, 150, g_words),
        (ECMUL_ADDRESS, g_words + word(2), 6000, word(two_g[0]) + word(two_g[1])),
        (ECPAIRING_ADDRESS, pair, 79_000, word(0)),
    ):
        assert same_outcome(chain_state, address, data, cost)[:4] == (True, output, cost, 0)
        ok, out, gas_used, _, error = same_outcome(chain_state, address, data, cost - 1)
        assert (ok, out, gas_used, error[0]) == (False, b"", cost - 1, OutOfGas)


# --- 0x08 -------------------------------------------------------------------------------------


PAIRING_KINDS = (
    "holds",
    "random",
    "g2 infinity",
    "outside subgroup",
    "off curve",
    "g1 off curve",
    ">= p",
    "length",
)
"""Valid input for the first three only."""


@st.composite
def pairing_input(draw: st.DrawFn, kind: str) -> bytes:
    a, b = draw(st.integers(1, N - 1)), draw(st.integers(1, N - 1))
    p1, q1 = g1(a), g2(b)
    pair = word(p1[0]) + word(p1[1]) + q1
    if kind == "holds":  # e(aG1, bG2) · e(-ab·G1, G2) = 1
        minus = g1(N - a * b % N)
        return pair + word(minus[0]) + word(minus[1]) + g2(1)
    if kind == "random":
        return pair
    if kind == "g2 infinity":  # e(P, O) = 1, whatever valid P
        return pair[:64] + bytes(128)
    if kind == "g1 off curve":
        return word(1) + word(3) + draw(st.sampled_from([q1, bytes(128)]))
    if kind == "outside subgroup":
        g1_part = draw(st.sampled_from([pair[:64], bytes(64)]))
        return g1_part + g2_outside_subgroup(draw(st.integers(1, 10**6)))
    if kind == "off curve":
        return pair[:64] + word(1) + word(2) + word(3) + word(4)
    if kind == ">= p":
        at = draw(st.sampled_from([0, 32, 64, 96, 128, 160]))
        value = int.from_bytes(pair[at : at + 32], "big") + P
        if value >= 2**256:
            value = draw(st.integers(P, 2**256 - 1))
        return pair[:at] + word(value) + pair[at + 32 :]
    return (pair * 3)[: draw(st.sampled_from([1, 64, 191, 193, 383, 385]))]


@pytest.mark.parametrize("kind", PAIRING_KINDS)
@settings(DIFF, max_examples=5)
@given(data=st.data(), gas=st.one_of(st.just(10**7), st.integers(40_000, 160_000)))
def test_ecpairing_matches_py_evm(chain_state, kind: str, data, gas: int) -> None:
    ok, out, *_ = same_outcome(chain_state, ECPAIRING_ADDRESS, data.draw(pairing_input(kind)), gas)
    if gas == 10**7:
        assert ok == (kind in PAIRING_KINDS[:3])
        if kind in ("holds", "g2 infinity"):
            assert out == word(1)


def test_ecpairing_exact_values(chain_state) -> None:
    assert same_outcome(chain_state, ECPAIRING_ADDRESS, b"")[:3] == (True, word(1), 45_000)
    g = g1(1)
    pair = word(g[0]) + word(g[1]) + g2(1)
    assert same_outcome(chain_state, ECPAIRING_ADDRESS, pair)[:3] == (True, word(0), 79_000)
    minus = word(g[0]) + word(P - g[1]) + g2(1)
    ok, out, gas_used, _, _ = same_outcome(chain_state, ECPAIRING_ADDRESS, pair + minus)
    assert (ok, out, gas_used) == (True, word(1), 113_000)
    outside = bytes(64) + g2_outside_subgroup(7)
    _, _, gas_used, _, error = same_outcome(chain_state, ECPAIRING_ADDRESS, outside, 90_000)
    assert (gas_used, error) == (90_000, (VMError, "Invalid ECPAIRING parameters"))
    _, _, gas_used, _, error = same_outcome(chain_state, ECPAIRING_ADDRESS, pair[:191], 90_000)
    assert (gas_used, error) == (90_000, (VMError, "Invalid ECPAIRING parameters"))


# --- the map, threads, and revm failing -------------------------------------------------------


def test_every_vm_runs_the_native_functions(services: ChainServices) -> None:
    precompiles = precompile_map(services)
    for address in ADDRESSES:
        assert precompiles[address] is NATIVE_BN254[address]
    ((_, node_vm),) = mining_chain_class(1337, services).vm_configuration
    traced = tracing_vm_class(node_vm, precompiles)
    for vm in (node_vm, traced):
        for address in ADDRESSES:
            assert vm._state_class.computation_class._precompiles[address] is precompiles[address]


def test_threads_each_have_their_own_evm(chain_state, monkeypatch) -> None:
    """Two threads at once (the node's and the in-process chain's), with the EVMs renewed
    every 3 calls: every answer is right."""
    monkeypatch.setattr(bn254, "RENEW_AFTER", 3)
    g = g1(1)
    data = word(g[0]) + word(g[1]) + word(3)
    expected = word(g1(3)[0]) + word(g1(3)[1])
    results: list[bytes] = []

    def work() -> None:
        for _ in range(40):
            results.append(bn254._revm_call(ECMUL_ADDRESS, data))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 80


def test_revm_failing_otherwise_falls_back_to_py_ecc(chain_state, monkeypatch, caplog) -> None:
    def broken(address: bytes, data: bytes) -> bytes:
        raise RuntimeError("Halt { reason: OutOfGas }")

    monkeypatch.setattr(bn254, "_revm_call", broken)
    monkeypatch.setattr(bn254, "_fell_back", threading.Event())
    g = g1(1)
    with caplog.at_level(logging.WARNING, logger="ogkit.chain.bn254"):
        ok, out, gas_used, _, _ = same_outcome(
            chain_state, ECMUL_ADDRESS, word(g[0]) + word(g[1]) + word(2)
        )
        _, _, _, _, error = same_outcome(chain_state, ECADD_ADDRESS, word(1) + word(3), 1000)
        same_outcome(chain_state, ECPAIRING_ADDRESS, b"")
    assert (ok, out, gas_used) == (True, word(g1(2)[0]) + word(g1(2)[1]), 6000)
    assert error == (VMError, "Invalid ECADD parameters")
    assert [r.message for r in caplog.records] == [
        "revm failed on 0x0000000000000000000000000000000000000007 "
        "(RuntimeError('Halt { reason: OutOfGas }')); computing with py_ecc"
    ]
