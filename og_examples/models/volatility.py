"""Example model ``volatility``: ten hourly ETH/USDT-like OHLC candles -> next-hour realised
volatility.

Range features (log high/low, |log close/open|) are computed inside the graph, then a linear
(HAR-style) regression fitted by least squares on simulated regime-switching GBM paths;
opset 17, so EZKL can prove it.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from onnx import TensorProto, helper

from og_examples.models.common import (
    NUMERIC_IR_VERSION,
    NUMERIC_OPSET,
    const,
    r2,
    round_params,
    serialise,
)

NAME = "volatility"
DOC = (
    "Forecast of next-hour realised volatility (a fraction, e.g. 0.0123) from the last 10 "
    "hourly candles. Input open_high_low_close float32 [10, 4] (open, high, low, close; "
    "oldest first; prices > 0, any scale). Output volatility float32 [1]. Features "
    "log(high/low) and |log(close/open)| per candle, linear regression fitted on "
    "synthetic regime-switching GBM paths."
)

VOL_CANDLES = 10
VOL_MINUTES = 60  # simulated steps per hourly candle
VOL_REGIMES = np.array([0.0025, 0.005, 0.010, 0.020])  # hourly sigma of calm .. stressed
VOL_SWITCH_PROB = 0.08  # chance per hour of moving to a neighbouring regime
VOL_FLOOR_PCT = 0.01  # the forecast never goes below 0.01 % (0.0001 as a fraction)


def _simulate_candles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """GBM with a Markov-switching hourly sigma (plus jitter), sampled every minute.

    Returns ``(ohlc, target)``: ``ohlc`` float32 [n, 10, 4] hourly candles around 2000, and
    ``target`` float64 [n], the realised volatility (root sum of squared one-minute log returns)
    of the hour after the tenth candle.
    """
    hours, steps = VOL_CANDLES + 1, VOL_MINUTES
    regime = np.empty((n, hours), dtype=np.int64)
    regime[:, 0] = rng.integers(0, len(VOL_REGIMES), n)
    for hour in range(1, hours):
        switch = rng.random(n) < VOL_SWITCH_PROB
        step = np.where(rng.random(n) < 0.5, -1, 1)
        moved = np.clip(regime[:, hour - 1] + step, 0, len(VOL_REGIMES) - 1)
        regime[:, hour] = np.where(switch, moved, regime[:, hour - 1])
    sigma = VOL_REGIMES[regime] * np.exp(0.15 * rng.standard_normal((n, hours)))
    minute_sigma = sigma[:, :, None] / np.sqrt(steps)
    returns = minute_sigma * rng.standard_normal((n, hours, steps)) - 0.5 * minute_sigma**2
    log_p0 = np.log(2000.0) + 0.1 * rng.standard_normal(n)
    path = log_p0[:, None] + np.cumsum(returns.reshape(n, hours * steps), axis=1)
    path = np.concatenate([log_p0[:, None], path], axis=1)  # [n, hours * steps + 1]
    opens = path[:, 0 : hours * steps : steps]
    closes = path[:, steps::steps]
    inside = np.concatenate([opens[:, :, None], path[:, 1:].reshape(n, hours, steps)], axis=2)
    ohlc = np.stack([opens, inside.max(axis=2), inside.min(axis=2), closes], axis=2)
    ohlc = np.exp(ohlc[:, :VOL_CANDLES]).astype(np.float32)
    target = np.sqrt(np.sum(returns[:, VOL_CANDLES] ** 2, axis=1))
    return ohlc, target


def _features(ohlc: np.ndarray) -> np.ndarray:
    """The graph's features in numpy: per candle [log(h/l), |log(c/o)|] in percent, [n, 20]."""
    logp = np.log(ohlc.astype(np.float32))
    high_low = logp[:, :, 1] - logp[:, :, 2]
    close_open = np.abs(logp[:, :, 3] - logp[:, :, 0])
    feats = np.stack([high_low, close_open], axis=2).reshape(len(ohlc), 2 * VOL_CANDLES)
    return feats.astype(np.float64) * 100.0


def _predict(feats: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    pct = np.maximum(feats @ weights.astype(np.float64) + bias - VOL_FLOOR_PCT, 0.0)
    return (pct + VOL_FLOOR_PCT) / 100.0


@cache
def fit() -> tuple[np.ndarray, np.float32, dict[str, float]]:
    """(weights, bias, fit metrics), fitted once per process from a fixed seed."""
    rng = np.random.default_rng(20240601)
    train_x, train_y = _simulate_candles(8000, rng)
    test_x, test_y = _simulate_candles(4000, rng)
    train_f, test_f = _features(train_x), _features(test_x)
    design = np.concatenate([train_f, np.ones((len(train_f), 1))], axis=1)
    solution = np.linalg.lstsq(design, train_y * 100.0, rcond=None)[0]
    weights, bias = round_params(solution[:-1]), round_params(solution[-1:])[0]
    train_p = _predict(train_f, weights, float(bias))
    test_p = _predict(test_f, weights, float(bias))
    metrics = {
        "train_r2": r2(train_y, train_p),
        "test_r2": r2(test_y, test_p),
        "train_mae": float(np.mean(np.abs(train_y - train_p))),
        "test_mae": float(np.mean(np.abs(test_y - test_p))),
        "test_target_mean": float(np.mean(test_y)),
    }
    return weights, bias, metrics


def build() -> bytes:
    """The serialised model (deterministic)."""
    weights, bias, _ = fit()
    n = 2 * VOL_CANDLES
    col = {"open": 0, "high": 1, "low": 2, "close": 3}
    inits = [
        const("axis_columns", np.array([1], dtype=np.int64)),
        *(
            t
            for key, idx in col.items()
            for t in (
                const(f"{key}_start", np.array([idx], dtype=np.int64)),
                const(f"{key}_end", np.array([idx + 1], dtype=np.int64)),
            )
        ),
        const("flat_shape", np.array([1, n], dtype=np.int64)),
        const("to_percent", np.array(100.0, dtype=np.float32)),
        const("weights", weights.reshape(n, 1)),
        const("bias", np.array([bias - VOL_FLOOR_PCT], dtype=np.float32)),
        const("floor_percent", np.array(VOL_FLOOR_PCT, dtype=np.float32)),
        const("to_fraction", np.array(0.01, dtype=np.float32)),
        const("out_shape", np.array([1], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("Log", ["open_high_low_close"], ["log_prices"]),
        *(
            helper.make_node(
                "Slice",
                ["log_prices", f"{key}_start", f"{key}_end", "axis_columns"],
                [f"log_{key}"],
            )
            for key in col
        ),
        helper.make_node("Sub", ["log_high", "log_low"], ["high_low_range"]),
        helper.make_node("Sub", ["log_close", "log_open"], ["close_open_return"]),
        helper.make_node("Abs", ["close_open_return"], ["close_open_range"]),
        helper.make_node("Concat", ["high_low_range", "close_open_range"], ["ranges"], axis=1),
        helper.make_node("Reshape", ["ranges", "flat_shape"], ["ranges_flat"]),
        helper.make_node("Mul", ["ranges_flat", "to_percent"], ["features"]),
        helper.make_node("Gemm", ["features", "weights", "bias"], ["linear"]),
        helper.make_node("Relu", ["linear"], ["above_floor"]),
        helper.make_node("Add", ["above_floor", "floor_percent"], ["forecast_percent"]),
        helper.make_node("Mul", ["forecast_percent", "to_fraction"], ["forecast"]),
        helper.make_node("Reshape", ["forecast", "out_shape"], ["volatility"]),
    ]
    graph = helper.make_graph(
        nodes,
        NAME,
        [helper.make_tensor_value_info("open_high_low_close", TensorProto.FLOAT, [VOL_CANDLES, 4])],
        [helper.make_tensor_value_info("volatility", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    return serialise(graph, NUMERIC_OPSET, NUMERIC_IR_VERSION, DOC)


_SAMPLE_CANDLES = [
    # open, high, low, close: ten hourly ETH/USDT candles, oldest first
    [1998.40, 2006.85, 1991.20, 2003.10],
    [2003.10, 2011.75, 1999.05, 2008.60],
    [2008.60, 2013.30, 1996.45, 1999.90],
    [1999.90, 2004.20, 1987.35, 1990.15],
    [1990.15, 2001.80, 1984.60, 1997.25],
    [1997.25, 2019.40, 1995.10, 2015.85],
    [2015.85, 2027.60, 2010.25, 2021.30],
    [2021.30, 2024.95, 2003.70, 2007.45],
    [2007.45, 2015.20, 1998.80, 2012.05],
    [2012.05, 2022.40, 2006.15, 2018.70],
]


def sample() -> dict[str, np.ndarray]:
    """A realistic input: ten ETH/USDT candles."""
    return {"open_high_low_close": np.array(_SAMPLE_CANDLES, dtype=np.float32)}
