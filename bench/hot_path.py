"""The 0xF4 hot path of bench/run.py's section (a): each step of one precompile call timed in
isolation on the warm in-process engine, then the whole call cached and cold."""

from __future__ import annotations

import bench_setup  # noqa: F401 - first: working directory and env defaults before Ape

# isort: split

import time
from collections.abc import Callable

import numpy as np
from bench_setup import HOT_BATCHES, HOT_COLD, HOT_PER_BATCH, MODEL, Candles, request_for, us
from stats import Summary, time_batched

from ogkit.inference.cache import input_key
from precompiles.fixed_point import from_array, to_array
from precompiles.host import CallContext
from precompiles.inference import models, precompile
from precompiles.inference.model_codec import (
    decode_model_inference_request,
    encode_model_inference_event,
    encode_model_inference_request,
    encode_model_output,
)

Step = tuple[str, Callable[[], object], str]  # (label, call, note)


def _warm_call(engine, request, context: CallContext) -> tuple:
    """One real call on `request` (warms the engine, caches the result) and its pieces."""
    args = encode_model_inference_request(request)
    calldata = precompile.RUN_MODEL_INFERENCE + args
    result = precompile.run(calldata, context, engine)
    if result.reverted:
        raise RuntimeError(f"precompile reverted in the hot-path bench: {result.reason}")
    model = engine.resolve(MODEL)
    arrays = models.bind_inputs(model, request.input)
    inference_id = models.make_inference_id(context, model, args)
    outputs = engine.infer(model, request.mode, arrays, inference_id, context)
    output, _, _ = models.model_output(outputs)
    return args, calldata, model, arrays, inference_id, outputs, output


def _steps(engine, request, context: CallContext) -> list[Step]:
    """The steps of `precompile.run` on `request`, each callable alone (warm, cached)."""
    args, calldata, model, arrays, inference_id, outputs, output = _warm_call(
        engine, request, context
    )
    number_values = request.input.numbers[0].values
    out_array = outputs[0][1]
    return [
        (
            "decode request calldata (`model_codec.decode_model_inference_request`)",
            lambda: decode_model_inference_request(args),
            "hand-written bounded decoder",
        ),
        (
            "validate input (`models.validate_input`)",
            lambda: models.validate_input(request.input),
            "caps, names, shape, decimals",
        ),
        (
            "resolve model (`engine.resolve` → `ModelStore.resolve`)",
            lambda: engine.resolve(MODEL),
            "alias table cached by mtime, CID parsing cached; stats the blob",
        ),
        (
            "fixed point in: 40 Numbers → float32 (`fixed_point.to_array`)",
            lambda: to_array(number_values, np.dtype(np.float32)),
            "",
        ),
        (
            "bind inputs (`models.bind_inputs`, includes the conversion above)",
            lambda: models.bind_inputs(model, request.input),
            "",
        ),
        (
            "inference id (`make_inference_id`: keccak of the calldata + context)",
            lambda: models.make_inference_id(context, model, args),
            "",
        ),
        (
            "cache key (`cache.input_key`: sha256 of the arrays)",
            lambda: input_key(model.model_hash, arrays),
            "",
        ),
        (
            "engine.infer, cache hit (key + cache get + record)",
            lambda: engine.infer(model, request.mode, arrays, inference_id, context),
            "",
        ),
        (
            "fixed point out: float32[1] → Number (`fixed_point.from_array`)",
            lambda: from_array(out_array),
            "",
        ),
        (
            "model_output (`models.model_output`, includes the conversion above)",
            lambda: models.model_output(outputs),
            "",
        ),
        (
            "encode return data (`encode_model_output`, hand-written encoder)",
            lambda: encode_model_output(output),
            "",
        ),
        (
            "encode ModelInferenceEvent (`encode_model_inference_event`, hand-written encoder)",
            lambda: encode_model_inference_event(inference_id, request, output),
            "re-encodes the whole request",
        ),
        (
            "**whole precompile, cached result (`precompile.run`)**",
            lambda: precompile.run(calldata, context, engine),
            "what each replay of the tx costs",
        ),
    ]


def _time_steps(steps: list[Step]) -> list[tuple[str, Summary, str]]:
    """µs per call of each step; a step that fails (an API changed under us) is reported."""
    usable, notes = [], {}
    for label, fn, note in steps:
        try:
            time_batched(fn, 1, 5)
            usable.append((label, fn))
            notes[label] = note
        except Exception as exc:  # noqa: BLE001
            notes[label] = f"not measured: {type(exc).__name__}: {exc}"
    # Round-robin over the steps, one batch each per round, so a burst of load from other
    # processes hits every step alike instead of a few steps entirely.
    samples: dict[str, list[float]] = {label: [] for label, _ in usable}
    for _ in range(HOT_BATCHES):
        for label, fn in usable:
            samples[label].extend(time_batched(fn, 1, HOT_PER_BATCH, warmup=False))
    return [(label, us(samples.get(label, [])), notes[label]) for label, _, _ in steps]


def _time_cold(engine, walk: Candles, window, context: CallContext) -> tuple[str, Summary, str]:
    """The cold precompile: a new input every call, so the model really runs each time."""
    cold_calls = []
    for _ in range(HOT_COLD):
        window = window[1:] + [walk.next()]
        cold_calls.append(
            precompile.RUN_MODEL_INFERENCE + encode_model_inference_request(request_for(window))
        )
    runs_before = engine.model_runs
    times = []
    for data in cold_calls:
        t0 = time.perf_counter_ns()
        precompile.run(data, context, engine)
        times.append((time.perf_counter_ns() - t0) * 1e-9)
    ran = engine.model_runs - runs_before
    return (
        "**whole precompile, cold (`precompile.run`, new input → model runs)**",
        us(times),
        f"model ran {ran} times in {HOT_COLD} calls",
    )


def bench_hot_path(engine) -> list[tuple[str, Summary, str]]:
    """Each step of one 0xF4 call in isolation (warm engine, cached result), in µs."""
    walk = Candles(seed=2)
    window = [walk.next() for _ in range(10)]
    context = CallContext(
        sender=b"\x11" * 20,
        origin=b"\x22" * 20,
        block_number=1,
        timestamp=1_700_000_000,
        gas_available=30_000_000,
        is_static=False,
    )
    out = _time_steps(_steps(engine, request_for(window), context))
    out.append(_time_cold(engine, walk, window, context))
    return out
