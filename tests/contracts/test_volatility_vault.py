"""VolatilityVault on the `opengradient:local` chain, with the real 0xF4 precompile.

The forecast a rebalance stores is checked to the last digit against onnxruntime run on the
same float32 candles, converted by the SDK rule (`precompiles.fixed_point.from_array`).
"""

from __future__ import annotations

from decimal import Decimal

import ape
import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from og_examples.models import sample_input
from ogkit.inference.prover_queue import no_setup_status
from precompiles.fixed_point import from_array, to_array

OG_INFERENCE = "0x00000000000000000000000000000000000000F4"
PRICE_DECIMALS = 8
MAX_BPS, MIN_BPS = 10_000, 2_000
VOL_FLOOR_AT_WAD = 5 * 10**16  # 5 %


# --------------------------------------------------------------------------- helpers


def make_candles(scale: str) -> list[tuple[Decimal, ...]]:
    """The sample ETH candles times `scale`, as exact decimals (8 decimals at most).

    Each test scenario that counts model runs uses its own `scale`, so no other test (in this
    module or another one in the same session) can have warmed the result cache for it.
    """
    rows = sample_input("volatility")["open_high_low_close"]
    return [tuple(Decimal(str(p)) * Decimal(scale) for p in row) for row in rows]


def as_numbers(candles) -> list[tuple[int, ...]]:
    """Candle tuples as the contract takes them: prices with PRICE_DECIMALS decimals."""
    return [tuple(int(p.scaleb(PRICE_DECIMALS)) for p in c) for c in candles]


def as_float32(candles) -> np.ndarray:
    return np.array([[float(p) for p in c] for c in candles], dtype=np.float32)


def allocation(vol_wad: int) -> int:
    """The documented rule: 10000 bps at 0 vol, linear down to 2000 bps at >= 5 %."""
    if vol_wad <= 0:
        return MAX_BPS
    if vol_wad >= VOL_FLOOR_AT_WAD:
        return MIN_BPS
    return MAX_BPS - (MAX_BPS - MIN_BPS) * vol_wad // VOL_FLOOR_AT_WAD


def to_wad(value: int, decimals: int) -> int:
    return value * 10 ** (18 - decimals)


def constant_volatility_model(forecast: float) -> bytes:
    """A test-only model with the vault's interface that always forecasts `forecast`."""
    inits = [
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
        numpy_helper.from_array(np.array([forecast], dtype=np.float32), "forecast"),
    ]
    nodes = [
        helper.make_node("ReduceSum", ["open_high_low_close"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["forecast", "nothing"], ["volatility"]),
    ]
    graph = helper.make_graph(
        nodes,
        "constant_volatility",
        [helper.make_tensor_value_info("open_high_low_close", TensorProto.FLOAT, [10, 4])],
        [helper.make_tensor_value_info("volatility", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ogkit-tests"
    )
    model.ir_version = 8
    return model.SerializeToString()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def keeper(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def vault(project, owner, keeper, model_store):
    return owner.deploy(project.VolatilityVault, "volatility", keeper)


@pytest.fixture(scope="module")
def forecast_of(model_store):
    """onnxruntime's forecast for float32 candles, as the SDK's (value, decimals)."""
    data = model_store.read(model_store.resolve("volatility"))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])

    def run(candles) -> tuple[int, int]:
        (out,) = session.run(["volatility"], {"open_high_low_close": as_float32(candles)})
        assert out.shape == (1,) and out.dtype == np.float32
        (number,) = from_array(out)
        return number

    return run


# --------------------------------------------------------------------------- pure rules


def test_initial_state(vault, owner, keeper):
    assert vault.owner() == owner
    assert vault.keeper() == keeper
    assert vault.modelId() == "volatility"
    assert vault.inferenceMode() == 0  # VANILLA
    assert vault.riskyAllocationBps() == MAX_BPS
    assert vault.candleCount() == 0 and vault.rebalanceCount() == 0
    assert vault.candles() == []
    with ape.reverts(vault.NotEnoughCandles, have=0, need=10):
        vault.rebalance(sender=owner)
    with ape.reverts(vault.NotEnoughCandles, have=0, need=10):
        vault.ohlcTensor()


def test_allocation_rule(vault):
    wad = 10**18
    points = {
        0: 10_000,
        -1: 10_000,
        -wad: 10_000,
        1: 10_000,  # 8000 * 1 / 5e16 rounds down to 0 bps cut
        123 * wad // 10_000: 8_032,  # 1.23 % (the documented example)
        25 * wad // 1_000: 6_000,  # 2.5 %
        VOL_FLOOR_AT_WAD - 1: 2_001,
        VOL_FLOOR_AT_WAD: 2_000,
        wad: 2_000,
    }
    for vol, bps in points.items():
        assert vault.allocationForVolatility(vol) == bps == allocation(vol), vol


# --------------------------------------------------------------------------- candles


def test_candles_ring_buffer_and_input_tensor(vault, owner, keeper):
    candles = as_numbers(make_candles("1.1"))
    extra = [(c[0] + 7, c[1] + 9, c[2] + 5, c[3] + 8) for c in candles[:2]]
    pushed = candles + extra  # 12 candles: the first two fall out of the window

    receipt = vault.pushCandles(pushed[:11], sender=keeper)
    assert [(e.index, e.open, e.high, e.low, e.close) for e in receipt.events] == [
        (i, *c) for i, c in enumerate(pushed[:11])
    ]
    assert [tuple(c) for c in vault.candles()] == pushed[1:11]
    receipt = vault.pushCandle(*pushed[11], sender=owner)
    assert receipt.events[0].index == 11

    assert vault.candleCount() == 12
    window = pushed[2:]
    assert [tuple(c) for c in vault.candles()] == window  # oldest first

    name, values, shape = vault.ohlcTensor()
    assert name == "open_high_low_close" and list(shape) == [10, 4]
    # row-major: row r = candle r (oldest first), columns open, high, low, close
    assert [tuple(v) for v in values] == [(p, PRICE_DECIMALS) for c in window for p in c]


def test_invalid_candles_rejected(vault, keeper):
    good = (200_000_000_000, 201_000_000_000, 199_000_000_000, 200_500_000_000)
    o, h, low, c = good
    for bad in [
        (o, c - 1, low, c),  # high below close
        (o, o - 1, low, o - 2),  # high below open
        (o, h, o + 1, c),  # low above open
        (o, h, c + 1, h),  # low above close
        (o, h, 0, c),  # non-positive low
        (o, h, -5, c),
    ]:
        with ape.reverts(vault.InvalidCandle, open=bad[0], high=bad[1], low=bad[2], close=bad[3]):
            vault.pushCandle(*bad, sender=keeper)
    # one bad candle in a batch reverts the whole batch
    with ape.reverts(vault.InvalidCandle):
        vault.pushCandles([good, (o, h, 0, c)], sender=keeper)
    assert vault.candleCount() == 0
    vault.pushCandle(*good, sender=keeper)
    assert vault.candleCount() == 1


# --------------------------------------------------------------------------- rebalance


def test_rebalance_stores_exact_forecast(vault, owner, stranger, engine, forecast_of):
    candles = make_candles("1.5")
    numbers = as_numbers(candles)
    flat = tuple((p, PRICE_DECIMALS) for c in numbers for p in c)
    # What 0xF4 hands the model: Number(price, 8) -> float32, equal to the float32 candles.
    assert np.array_equal(to_array(flat, np.dtype(np.float32)).reshape(10, 4), as_float32(candles))
    value, decimals = forecast_of(candles)
    wad = to_wad(value, decimals)
    bps = allocation(wad)
    assert 0 < wad < VOL_FLOOR_AT_WAD and MIN_BPS < bps < MAX_BPS  # a non-trivial case

    vault.pushCandles(numbers, sender=owner)
    assert vault.rebalance.call(sender=stranger) is True
    receipt = vault.rebalance(sender=stranger)  # permissionless

    assert (vault.forecastValue(), vault.forecastDecimals()) == (value, decimals)
    assert vault.forecastVolWad() == wad
    assert vault.riskyAllocationBps() == bps
    assert vault.rebalanceCount() == 1
    assert vault.lastRebalanceAt() == receipt.timestamp

    inference, rebalanced = receipt.decode_logs()
    assert rebalanced.event_name == "Rebalanced"
    assert rebalanced.caller == stranger
    assert (rebalanced.volatilityValue, rebalanced.volatilityDecimals) == (value, decimals)
    assert rebalanced.volatilityWad == wad
    assert (rebalanced.previousRiskyBps, rebalanced.riskyBps) == (MAX_BPS, bps)

    assert inference.event_name == "ModelInferenceEvent"
    assert inference.contract_address == OG_INFERENCE
    assert tuple(inference.request) == (
        0,
        "volatility",
        ((("open_high_low_close", flat, (10, 4)),), ()),
    )
    assert tuple(inference.response) == (
        (("volatility", ((value, decimals),), (1,)),),
        (),
        (),
        False,
    )
    record = engine.records[inference.inferenceID]
    assert record.block_number == receipt.block_number
    assert record.mode.name == "VANILLA" and record.settlement == "not required"


def test_model_runs_once_per_transaction(vault, owner, engine, forecast_of):
    """A transaction runs its model exactly once, although Ape executes it more than once
    (call, send, trace). A second transaction with identical candles is a new inference (own
    id, record and event, in a new block) but its result is the first one's: the model is a
    pure function of (model hash, input), so the engine replays it from its cache and the
    model does not run again. New candles mean a new input and a real run."""
    candles = as_numbers(make_candles("1.25"))
    vault.pushCandles(candles, sender=owner)
    expected = forecast_of(make_candles("1.25"))

    runs, records = engine.model_runs, len(engine.records)
    first = vault.rebalance(sender=owner)
    assert engine.model_runs - runs == 1
    assert len(engine.records) - records == 1

    runs, records = engine.model_runs, len(engine.records)
    second = vault.rebalance(sender=owner)
    assert engine.model_runs - runs == 0  # cached
    assert len(engine.records) - records == 1  # but recorded as its own inference

    (id1, ev1), (id2, ev2) = (
        (r.decode_logs()[0].inferenceID, r.decode_logs()[1]) for r in (first, second)
    )
    assert id1 != id2
    r1, r2 = engine.records[id1], engine.records[id2]
    assert (r1.block_number, r2.block_number) == (first.block_number, second.block_number)
    assert r1.input_hash == r2.input_hash and r1.output_hash == r2.output_hash
    assert (ev1.volatilityValue, ev1.volatilityDecimals) == expected
    assert (ev2.volatilityValue, ev2.volatilityDecimals) == expected
    assert ev2.previousRiskyBps == ev2.riskyBps == ev1.riskyBps
    assert vault.rebalanceCount() == 2

    # one new candle: a new window, a new input, one real run
    c = candles[0]
    vault.pushCandle(c[0], c[1] + 12_345, c[2], c[3], sender=owner)
    runs = engine.model_runs
    vault.rebalance(sender=owner)
    assert engine.model_runs - runs == 1


@pytest.mark.parametrize("mode", [1, 2], ids=["ZK", "TEE"])
def test_rebalance_in_verified_modes(
    mode, vault, owner, stranger, engine, forecast_of, model_store
):
    candles = make_candles("1.5")
    vault.pushCandles(as_numbers(candles), sender=owner)

    with ape.reverts(vault.NotOwner):
        vault.setInferenceMode(mode, sender=stranger)
    receipt = vault.setInferenceMode(mode, sender=owner)
    assert receipt.events[0].mode == mode
    assert vault.inferenceMode() == mode

    receipt = vault.rebalance(sender=owner)
    inference, rebalanced = receipt.decode_logs()
    assert inference.request[0] == mode
    value, decimals = forecast_of(candles)
    assert (vault.forecastValue(), vault.forecastDecimals()) == (value, decimals)
    assert rebalanced.riskyBps == vault.riskyAllocationBps() == allocation(to_wad(value, decimals))
    record = engine.records[inference.inferenceID]
    assert record.mode.value == mode
    final = vault.provider.wait_for_settlement(inference.inferenceID, timeout=60)
    assert final is record
    if mode == 1:  # ZK: proving fails, because the volatility model has no ZK setup here
        assert record.settlement == no_setup_status(model_store.resolve("volatility").cid)
    else:  # TEE: the provider's settlement service settles it by itself
        assert record.settlement == f"settled {record.settlement_tx}"


# --------------------------------------------------------------------------- access control


def test_access_control(vault, owner, keeper, stranger, accounts):
    candle = (200_000_000_000, 201_000_000_000, 199_000_000_000, 200_500_000_000)
    with ape.reverts(vault.NotKeeper):
        vault.pushCandle(*candle, sender=stranger)
    with ape.reverts(vault.NotKeeper):
        vault.pushCandles([candle], sender=stranger)
    for fn, arg in [
        (vault.setKeeper, stranger),
        (vault.setInferenceMode, 1),
        (vault.transferOwnership, stranger),
    ]:
        with ape.reverts(vault.NotOwner):
            fn(arg, sender=stranger)
        with ape.reverts(vault.NotOwner):
            fn(arg, sender=keeper)  # the keeper is not an admin
    vault.pushCandle(*candle, sender=keeper)
    vault.pushCandle(*candle, sender=owner)

    # a new keeper takes over; the old one loses the right
    receipt = vault.setKeeper(stranger, sender=owner)
    assert receipt.events[0].keeper == stranger
    vault.pushCandle(*candle, sender=stranger)
    with ape.reverts(vault.NotKeeper):
        vault.pushCandle(*candle, sender=keeper)

    # ownership moves; the old owner is neither owner nor keeper any more
    new_owner = accounts[3]
    receipt = vault.transferOwnership(new_owner, sender=owner)
    event = receipt.events[0]
    assert (event.previousOwner, event.newOwner) == (owner, new_owner)
    assert vault.owner() == new_owner
    with ape.reverts(vault.NotOwner):
        vault.setInferenceMode(2, sender=owner)
    with ape.reverts(vault.NotKeeper):
        vault.pushCandle(*candle, sender=owner)
    vault.setInferenceMode(2, sender=new_owner)
    assert vault.candleCount() == 3


# --------------------------------------------------------------------------- other models


@pytest.mark.parametrize(
    ("forecast", "wad", "bps"),
    [(-0.0123, -123 * 10**14, None), (0.07, 7 * 10**16, MIN_BPS), (0.0, 0, MAX_BPS)],
    ids=["negative", "above-floor", "zero"],
)
def test_forecast_bounds_with_a_constant_model(forecast, wad, bps, project, owner, model_store):
    """A real model (added to the store for this test) that always forecasts `forecast`:
    a negative forecast is rejected, >= 5 % hits the 2000 bps floor, 0 gives 100 %."""
    model_id = f"ogkit-test/constant_volatility_{forecast}"
    model_store.add(constant_volatility_model(forecast), model_id)
    vault = owner.deploy(project.VolatilityVault, model_id, owner)
    vault.pushCandles(as_numbers(make_candles("1.5")), sender=owner)
    if bps is None:
        with ape.reverts(vault.InvalidForecast, volatilityWad=wad):
            vault.rebalance(sender=owner)
        assert vault.rebalanceCount() == 0
        assert vault.riskyAllocationBps() == MAX_BPS
        return
    vault.rebalance(sender=owner)
    assert vault.forecastVolWad() == wad
    assert vault.riskyAllocationBps() == bps
