"""0xF4's `runModelInference`: an ONNX model run inside the call, byte-compatible with alpha.

Decode and validate the request, charge gas, convert fixed point to the model's dtypes, ask
the model backend, convert back, return the ABI-encoded `ModelOutput` and emit
`ModelInferenceEvent`. 0xF5's `runInferenceOnPriceFeed` reuses the binding and conversion.
Every failure is a `PrecompileRevert`; `precompile.run` turns it into a revert.
"""

from __future__ import annotations

import math

import numpy as np
from eth_utils import keccak

from precompiles import gas, limits
from precompiles.abi.reader import AbiDecodeError
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.fixed_point import (
    ONNX_DTYPES,
    FixedPointError,
    check_decimals,
    from_array,
    to_array,
)
from precompiles.guard import PrecompileRevert, echo
from precompiles.host import (
    CallContext,
    ExecutionPhase,
    LogEntry,
    ModelBackend,
    ModelExecutionError,
    ModelNotFound,
    ModelSpec,
    PrecompileResult,
    TensorSpec,
)
from precompiles.inference.inference_id import call_site_id
from precompiles.inference.model_codec import (
    MODEL_INFERENCE_EVENT_SIGNATURE,
    decode_model_inference_request,
    encode_model_inference_event,
    encode_model_output,
)
from precompiles.inference.types import (
    ModelInferenceMode,
    ModelInput,
    ModelOutput,
    NumberTensor,
    StringTensor,
)

MODEL_INFERENCE_EVENT_TOPIC = int.from_bytes(keccak(text=MODEL_INFERENCE_EVENT_SIGNATURE), "big")
SIMULATION_OUTPUT = ModelOutput(is_simulation_result=True)
"""What a PIPE_SIMULATION pass answers: no model runs, the contract sees the flag."""


def run_model_inference(
    args: bytes, context: CallContext, backend: ModelBackend, meter: gas.GasMeter
) -> PrecompileResult:
    """`runModelInference(request)`: its arguments after the selector; reverts by raising."""
    try:
        request = decode_model_inference_request(args, budget=limits.MAX_INPUT_ELEMENTS * 2)
    except AbiDecodeError as exc:
        raise PrecompileRevert(f"OGInference: malformed calldata: {exc}") from None
    if request.mode not in ModelInferenceMode._value2member_map_:
        raise PrecompileRevert(f"OGInference: unknown inference mode {request.mode}")

    elements, string_bytes = validate_input(request.input)
    meter.charge(gas.elements_gas(elements, string_bytes, gas.PER_INPUT_ELEMENT))
    try:
        model = backend.resolve(request.model_cid)
    except ModelNotFound as exc:
        raise PrecompileRevert(
            f"OGInference: model not found: {echo(request.model_cid)}{exc.hint()}"
        ) from None
    except ModelExecutionError as exc:
        raise PrecompileRevert(
            f"OGInference: cannot load model {echo(request.model_cid)}: {exc}"
        ) from None
    meter.charge(gas.model_gas(model.size_bytes))

    arrays = bind_inputs(model, request.input)
    charge_compute(model, arrays, meter)
    if context.phase is ExecutionPhase.PIPE_SIMULATION:
        # alpha's first pass: the call is collected, not run; the contract sees the flag
        return PrecompileResult(encode_model_output(SIMULATION_OUTPUT), meter.used)
    inference_id = make_inference_id(context, model, args)
    try:
        outputs = backend.infer(model, request.mode, arrays, inference_id, context)
    except ModelExecutionError as exc:
        raise PrecompileRevert(f"OGInference: model execution failed: {exc}") from None

    output, out_elements, out_bytes = model_output(outputs)
    meter.charge(gas.elements_gas(out_elements, out_bytes, gas.PER_OUTPUT_ELEMENT))
    return_data = encode_model_output(output)
    logs = []
    if not context.is_static:  # a log in a static frame would be a state change
        event = encode_model_inference_event(inference_id, request, output)
        meter.charge(gas.log_gas(len(event)))
        logs.append(LogEntry(OG_INFERENCE_ADDRESS, (MODEL_INFERENCE_EVENT_TOPIC,), event))
    if context.commits:
        backend.record(model, request.mode, arrays, outputs, inference_id, context)
    return PrecompileResult(return_data, meter.used, logs=logs)


def charge_compute(model: ModelSpec, arrays: dict[str, np.ndarray], meter: gas.GasMeter) -> None:
    """Price the run for these input shapes and charge it before the model runs; a run over
    the static caps (`limits`) reverts here, paying what was charged so far."""
    if model.compute is None:
        return
    shapes = {name: tuple(int(d) for d in array.shape) for name, array in arrays.items()}
    try:
        cost = model.compute(shapes)
    except ModelExecutionError as exc:
        raise PrecompileRevert(f"OGInference: cannot price the model's run: {exc}") from None
    if cost.peak_bytes > limits.MAX_MODEL_PEAK_BYTES:
        raise PrecompileRevert(
            f"OGInference: the model needs {_mib(cost.peak_bytes)} of tensors at once for "
            f"these input shapes, over the {_mib(limits.MAX_MODEL_PEAK_BYTES)} limit"
        )
    amount = gas.compute_gas(cost.macs, cost.bytes_moved, cost.large_bytes, cost.nodes)
    if amount > limits.MAX_COMPUTE_GAS:
        raise PrecompileRevert(
            f"OGInference: the model's run costs {amount:,} compute gas for these input "
            f"shapes, over the {limits.MAX_COMPUTE_GAS:,} limit"
        )
    meter.charge(amount)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MiB"


def validate_input(model_input: ModelInput) -> tuple[int, int]:
    """Check caps, names and shapes; return (element count, string bytes) for gas."""
    tensors = len(model_input.numbers) + len(model_input.strings)
    if tensors > limits.MAX_TENSORS:
        raise PrecompileRevert(f"OGInference: {tensors} input tensors exceed {limits.MAX_TENSORS}")
    names = [t.name for t in model_input.numbers] + [t.name for t in model_input.strings]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PrecompileRevert(f"OGInference: duplicate input name '{duplicates[0]}'")
    elements = 0
    for tensor in model_input.numbers:
        if len(tensor.shape) > limits.MAX_TENSOR_RANK:
            raise PrecompileRevert(
                f"OGInference: input '{tensor.name}' has rank {len(tensor.shape)}, "
                f"over {limits.MAX_TENSOR_RANK}"
            )
        expected = math.prod(tensor.shape)
        if expected != len(tensor.values):
            raise PrecompileRevert(
                f"OGInference: input '{tensor.name}' has {len(tensor.values)} values "
                f"but shape {list(tensor.shape)} needs {expected}"
            )
        for _, decimals in tensor.values:
            try:
                check_decimals(decimals)
            except FixedPointError as exc:
                raise PrecompileRevert(f"OGInference: input '{tensor.name}': {exc}") from None
        elements += len(tensor.values)
    string_bytes = 0
    for tensor in model_input.strings:
        elements += len(tensor.values)
        string_bytes += sum(len(s.encode()) for s in tensor.values)
    if elements > limits.MAX_INPUT_ELEMENTS:
        raise PrecompileRevert(
            f"OGInference: {elements} input elements exceed {limits.MAX_INPUT_ELEMENTS}"
        )
    if string_bytes > limits.MAX_INPUT_STRING_BYTES:
        raise PrecompileRevert(
            f"OGInference: {string_bytes} bytes of input strings exceed "
            f"{limits.MAX_INPUT_STRING_BYTES}"
        )
    return elements, string_bytes


def _dim_text(spec: TensorSpec, index: int) -> str:
    """A fixed dim as its size; a dynamic one by its ONNX name (`batch?`), else by role."""
    size = spec.shape[index]
    if size is not None:
        return str(size)
    name = spec.dim_names[index] if index < len(spec.dim_names) else None
    return f"{name or ('batch' if index == 0 else f'dim{index}')}?"


def _shape_text(spec: TensorSpec) -> str:
    return "[" + ", ".join(_dim_text(spec, i) for i in range(len(spec.shape))) + "]"


def _fits(spec: TensorSpec, shape: tuple[int, ...]) -> bool:
    return len(shape) == len(spec.shape) and all(
        want is None or want == got for want, got in zip(spec.shape, shape, strict=True)
    )


def _input_shape(spec: TensorSpec, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape the values are given to the model in.

    As upstream's node does, a flat (1-D) tensor whose length is the element count of a
    fully known input shape is read row-major in that shape: `numberTensor1D` of 40 candle
    values feeds a [10, 4] input, [2] feeds [1, 2]. Anything else must match the model.
    """
    if _fits(spec, shape):
        return shape
    known = all(d is not None for d in spec.shape)
    if len(shape) == 1 and known and math.prod(spec.shape) == shape[0]:  # type: ignore[arg-type]
        return tuple(spec.shape)  # type: ignore[arg-type]
    raise PrecompileRevert(
        f"OGInference: input '{spec.name}' has shape {list(shape)}, "
        f"model expects {_shape_text(spec)}"
    )


def string_shape(spec: TensorSpec, count: int) -> tuple[int, ...]:
    """String tensors carry no shape: fill the model's one dynamic dim, if it has one."""
    static = math.prod(d for d in spec.shape if d is not None)
    dynamic = [i for i, d in enumerate(spec.shape) if d is None]
    if not spec.shape:
        return () if count == 1 else (count,)
    if not dynamic and static == count:
        return tuple(spec.shape)  # type: ignore[arg-type]
    if len(dynamic) >= 1 and static and count % static == 0:
        filled = [1 if d is None else d for d in spec.shape]
        filled[dynamic[0]] = count // static
        return tuple(filled)
    raise PrecompileRevert(
        f"OGInference: {count} strings do not fit input '{spec.name}' of shape {_shape_text(spec)}"
    )


def bind_inputs(model: ModelSpec, model_input: ModelInput) -> dict[str, np.ndarray]:
    """Match request tensors to model inputs by ONNX name and convert them to its dtypes."""
    numbers = {t.name: t for t in model_input.numbers}
    strings = {t.name: t for t in model_input.strings}
    expected = {spec.name for spec in model.inputs}
    unexpected = sorted((numbers.keys() | strings.keys()) - expected)
    if unexpected:
        raise PrecompileRevert(
            f"OGInference: unexpected input '{unexpected[0]}'; model inputs are {sorted(expected)}"
        )
    arrays: dict[str, np.ndarray] = {}
    for spec in model.inputs:
        if spec.name in numbers:
            arrays[spec.name] = _number_input(spec, numbers[spec.name])
        elif spec.name in strings:
            arrays[spec.name] = _string_input(spec, strings[spec.name])
        else:
            raise PrecompileRevert(f"OGInference: Input not found: {spec.name}")
    return arrays


def _number_input(spec: TensorSpec, tensor: NumberTensor) -> np.ndarray:
    dtype = ONNX_DTYPES.get(spec.dtype)
    if dtype is None:
        raise PrecompileRevert(
            f"OGInference: input '{spec.name}' is {spec.dtype}; send it as a "
            + ("string tensor" if spec.dtype == "tensor(string)" else "supported type")
        )
    shape = _input_shape(spec, tensor.shape)
    try:
        flat = to_array(tensor.values, dtype)
    except FixedPointError as exc:
        raise PrecompileRevert(f"OGInference: input '{spec.name}': {exc}") from None
    return flat.reshape(shape)


def _string_input(spec: TensorSpec, tensor: StringTensor) -> np.ndarray:
    if spec.dtype != "tensor(string)":
        raise PrecompileRevert(
            f"OGInference: input '{spec.name}' is {spec.dtype}; send it as a number tensor"
        )
    shape = string_shape(spec, len(tensor.values))
    return np.array(tensor.values, dtype=object).reshape(shape)


def model_output(outputs: list[tuple[str, np.ndarray]]) -> tuple[ModelOutput, int, int]:
    """Runtime outputs -> `ModelOutput`, keeping the model's order within each kind."""
    numbers: list[NumberTensor] = []
    strings: list[StringTensor] = []
    elements = string_bytes = 0
    for name, array in outputs:
        array = np.asarray(array)
        elements += array.size
        if elements > limits.MAX_OUTPUT_ELEMENTS:
            raise PrecompileRevert(
                f"OGInference: model output exceeds {limits.MAX_OUTPUT_ELEMENTS} elements"
            )
        if array.dtype.kind in "OUS":
            values = tuple(str(v) for v in array.reshape(-1))
            string_bytes += sum(len(v.encode()) for v in values)
            strings.append(StringTensor(name, values))
            continue
        try:
            values_fp = from_array(array)
        except FixedPointError as exc:
            raise PrecompileRevert(f"OGInference: output '{name}': {exc}") from None
        numbers.append(NumberTensor(name, values_fp, tuple(int(d) for d in array.shape)))
    return ModelOutput(tuple(numbers), tuple(strings)), elements, string_bytes


def make_inference_id(context: CallContext, model: ModelSpec, request_args: bytes) -> str:
    """Deterministic per call site, so every replay of a block names its inferences alike."""
    return call_site_id(context, model.model_hash, request_args)
