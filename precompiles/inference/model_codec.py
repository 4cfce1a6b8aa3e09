"""ABI codec for `runModelInference`'s structs: the hot path of every inference call.

Requests are untrusted calldata, decoded by the bounded `abi.reader.AbiReader`; return data
and the event are written with `abi.writer`. Property tests hold both to eth-abi.
"""

from __future__ import annotations

from precompiles.abi.reader import WORD, AbiReader
from precompiles.abi.writer import (
    encode_dynamic_array,
    encode_int,
    encode_single,
    encode_string,
    encode_tuple,
    encode_uint,
)
from precompiles.inference.types import (
    JsonScalar,
    ModelInferenceRequest,
    ModelInput,
    ModelOutput,
    NumberTensor,
    StringTensor,
)

NUMBER_TENSOR = "(string,(int128,int128)[],uint32[])"
STRING_TENSOR = "(string,string[])"
MODEL_INPUT = f"({NUMBER_TENSOR}[],{STRING_TENSOR}[])"
MODEL_INFERENCE_REQUEST = f"(uint8,string,{MODEL_INPUT})"
MODEL_OUTPUT = f"({NUMBER_TENSOR}[],{STRING_TENSOR}[],(string,string)[],bool)"

RUN_MODEL_INFERENCE_SIGNATURE = f"runModelInference({MODEL_INFERENCE_REQUEST})"
MODEL_INFERENCE_EVENT_SIGNATURE = (
    f"ModelInferenceEvent(string,{MODEL_INFERENCE_REQUEST},{MODEL_OUTPUT})"
)

DEFAULT_ELEMENT_BUDGET = 1 << 17

# ------------------------------------------------------------------------------ decoding


def _number_tensor(r: AbiReader, at: int) -> NumberTensor:
    name = r.string(r.offset(at, at))
    values_at = r.offset(at, at + WORD)
    n = r.length(values_at)
    first = values_at + WORD
    values = tuple(
        (r.int128(first + 2 * i * WORD), r.int128(first + (2 * i + 1) * WORD)) for i in range(n)
    )
    shape = r.array(r.offset(at, at + 2 * WORD), lambda _b, h: r.uint(h, 32), dynamic=False)
    return NumberTensor(name, values, shape)


def _string_tensor(r: AbiReader, at: int) -> StringTensor:
    name = r.string(r.offset(at, at))
    values = r.string_array(r.offset(at, at + WORD))
    return StringTensor(name, values)


def _model_input(r: AbiReader, at: int) -> ModelInput:
    numbers = r.array(r.offset(at, at), lambda _b, h: _number_tensor(r, h), dynamic=True)
    strings = r.array(r.offset(at, at + WORD), lambda _b, h: _string_tensor(r, h), dynamic=True)
    return ModelInput(numbers, strings)


def decode_model_inference_request(
    args: bytes, budget: int = DEFAULT_ELEMENT_BUDGET
) -> ModelInferenceRequest:
    """Decode the arguments (calldata after the selector) of `runModelInference`."""
    r = AbiReader(args, budget)
    at = r.offset(0, 0)
    mode = r.uint(at, 8)
    model_cid = r.string(r.offset(at, at + WORD))
    model_input = _model_input(r, r.offset(at, at + 2 * WORD))
    return ModelInferenceRequest(mode, model_cid, model_input)


def decode_model_output(data: bytes) -> ModelOutput:
    """Decode return data of `runModelInference` (clients and tests; trusted input)."""
    from eth_abi import decode

    (raw,) = decode([MODEL_OUTPUT], data)
    numbers, strings, jsons, is_sim = raw
    return ModelOutput(
        tuple(NumberTensor(n, tuple(tuple(v) for v in vals), tuple(s)) for n, vals, s in numbers),
        tuple(StringTensor(n, tuple(vals)) for n, vals in strings),
        tuple(JsonScalar(n, v) for n, v in jsons),
        is_sim,
    )


# ------------------------------------------------------------------------------ encoding


def _number_tensor_body(t: NumberTensor) -> bytes:
    values = encode_uint(len(t.values)) + b"".join(
        encode_int(v) + encode_int(d) for v, d in t.values
    )
    shape = encode_uint(len(t.shape)) + b"".join(encode_uint(d) for d in t.shape)
    return encode_tuple([None, None, None], [encode_string(t.name), values, shape])


def _string_tensor_body(t: StringTensor) -> bytes:
    values = encode_dynamic_array([encode_string(s) for s in t.values])
    return encode_tuple([None, None], [encode_string(t.name), values])


def _json_scalar_body(j: JsonScalar) -> bytes:
    return encode_tuple([None, None], [encode_string(j.name), encode_string(j.value)])


def _model_input_body(value: ModelInput) -> bytes:
    return encode_tuple(
        [None, None],
        [
            encode_dynamic_array([_number_tensor_body(t) for t in value.numbers]),
            encode_dynamic_array([_string_tensor_body(t) for t in value.strings]),
        ],
    )


def _request_body(value: ModelInferenceRequest) -> bytes:
    return encode_tuple(
        [encode_uint(value.mode), None, None],
        [encode_string(value.model_cid), _model_input_body(value.input)],
    )


def _output_body(value: ModelOutput) -> bytes:
    return encode_tuple(
        [None, None, None, encode_uint(int(value.is_simulation_result))],
        [
            encode_dynamic_array([_number_tensor_body(t) for t in value.numbers]),
            encode_dynamic_array([_string_tensor_body(t) for t in value.strings]),
            encode_dynamic_array([_json_scalar_body(j) for j in value.jsons]),
        ],
    )


def encode_model_inference_request(request: ModelInferenceRequest) -> bytes:
    """Arguments of `runModelInference` (no selector): what a client sends."""
    return encode_single(_request_body(request))


def encode_model_output(output: ModelOutput) -> bytes:
    """Return data of `runModelInference`."""
    return encode_single(_output_body(output))


def encode_model_inference_event(
    inference_id: str, request: ModelInferenceRequest, output: ModelOutput
) -> bytes:
    """Data of `ModelInferenceEvent(inferenceID, request, response)` (nothing indexed)."""
    return encode_tuple(
        [None, None, None],
        [encode_string(inference_id), _request_body(request), _output_body(output)],
    )


def encode_model_input(model_input: ModelInput) -> bytes:
    """Canonical bytes of a `ModelInput`: what the input hash is taken over."""
    return encode_single(_model_input_body(model_input))
