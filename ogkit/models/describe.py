"""What `ogkit models show` tells a contract author: the tensors to send and get back, and
what a call costs, before they write a line of Solidity."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ogkit.models.store import ModelStore
from precompiles.host import TensorSpec

ZERO_ADDRESS = b"\0" * 20
CALL_GAS = 30_000_000


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: str
    """ONNX's element type: float, int64, string, ..."""
    shape: tuple[int | str, ...]
    """Fixed sizes as ints; a dynamic dim as its ONNX name, or "?" if it has none."""


@dataclass(frozen=True)
class ModelDescription:
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    gas: int | None
    """Gas of one 0xF4 call (the precompile alone) on the typical input; None if it reverts."""
    gas_note: str


def _tensor(spec: TensorSpec) -> Tensor:
    dtype = spec.dtype.removeprefix("tensor(").removesuffix(")")
    names = spec.dim_names or (None,) * len(spec.shape)
    shape = tuple(
        d if d is not None else (name or "?") for d, name in zip(spec.shape, names, strict=True)
    )
    return Tensor(spec.name, dtype, shape)


def shape_text(shape: tuple[int | str, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def describe(store: ModelStore, model_id: str) -> ModelDescription:
    """Inputs and outputs as onnxruntime declares them, and the gas of a call by `model_id`
    whose inputs are ones (strings: "a") with every dynamic dim 1 (ones, not zeros: a model
    taking logs or ratios of its inputs would turn zeros into NaN and revert). The real
    precompile runs it, so the figure is the formula of precompiles/gas.py, event included;
    values do not change it, only element counts and string lengths.

    Raises `ModelExecutionError` if the stored file is not a loadable ONNX model (or
    `CorruptModel` if its bytes no longer match the CID)."""
    from ogkit.inference.engine import InferenceEngine

    engine = InferenceEngine(store)
    spec = engine.resolve(model_id)  # the spec 0xF4 checks calls against, dim names kept
    inputs = tuple(_tensor(t) for t in spec.inputs)
    outputs = tuple(_tensor(t) for t in spec.outputs)
    gas, note = _typical_call_gas(engine, spec, model_id)
    return ModelDescription(inputs, outputs, gas, note)


def _typical_call_gas(engine, spec, model_id: str) -> tuple[int | None, str]:
    from precompiles.fixed_point import ONNX_DTYPES
    from precompiles.host import CallContext, ExecutionPhase
    from precompiles.inference.model_codec import encode_model_inference_request
    from precompiles.inference.precompile import RUN_MODEL_INFERENCE, run
    from precompiles.inference.types import (
        ModelInferenceMode,
        ModelInferenceRequest,
        ModelInput,
        NumberTensor,
        StringTensor,
    )

    numbers, strings = [], []
    for tensor in spec.inputs:
        shape = tuple(1 if d is None else d for d in tensor.shape)
        count = math.prod(shape)
        if tensor.dtype == "tensor(string)":
            strings.append(StringTensor(tensor.name, ("a",) * count))
        elif tensor.dtype in ONNX_DTYPES:
            numbers.append(NumberTensor(tensor.name, ((1, 0),) * count, shape))
        else:
            return None, f"input '{tensor.name}' is {tensor.dtype}, which 0xF4 cannot send"
    request = ModelInferenceRequest(
        int(ModelInferenceMode.VANILLA), model_id, ModelInput(tuple(numbers), tuple(strings))
    )
    context = CallContext(
        sender=ZERO_ADDRESS,
        origin=ZERO_ADDRESS,
        block_number=1,
        timestamp=0,
        gas_available=CALL_GAS,
        phase=ExecutionPhase.CALL,  # runs the model, leaves no record
    )
    result = run(RUN_MODEL_INFERENCE + encode_model_inference_request(request), context, engine)
    if result.reverted:
        return None, f"a call with inputs of ones reverts: {result.reason}"
    return result.gas_used, "inputs of ones, dynamic dims 1, event included; the 0xF4 call alone"
