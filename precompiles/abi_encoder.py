"""Hand-written ABI encoding of the 0xF4 structs, for the precompile's return data and event.

eth-abi's generic encoder spent ~0.8 ms per inference on the event alone; this one writes the
same bytes (checked against eth-abi by property tests) in a fraction of that. Each function
returns the encoding of one value as it appears in a tail: dynamic values are always
referenced by an offset from their parent's head.
"""

from __future__ import annotations

from collections.abc import Sequence

from precompiles.types import (
    JsonScalar,
    ModelInferenceRequest,
    ModelInput,
    ModelOutput,
    NumberTensor,
    StringTensor,
)

_WORD = 32


def _uint(n: int) -> bytes:
    return n.to_bytes(_WORD, "big")


def _int(n: int) -> bytes:
    return n.to_bytes(_WORD, "big", signed=True)


def _string(s: str) -> bytes:
    raw = s.encode("utf-8")
    return _uint(len(raw)) + raw + b"\0" * (-len(raw) % _WORD)


def _tuple(head: Sequence[bytes | None], tails: Sequence[bytes]) -> bytes:
    """A tuple whose fields are static words (bytes) or dynamic (None, taken from `tails`)."""
    offset = _WORD * len(head)
    out, rest = [], []
    tail_iter = iter(tails)
    for field in head:
        if field is None:
            tail = next(tail_iter)
            out.append(_uint(offset))
            rest.append(tail)
            offset += len(tail)
        else:
            out.append(field)
    return b"".join(out) + b"".join(rest)


def _dynamic_array(items: Sequence[bytes]) -> bytes:
    return _uint(len(items)) + _tuple([None] * len(items), items)


def _number_tensor(t: NumberTensor) -> bytes:
    values = _uint(len(t.values)) + b"".join(_int(v) + _int(d) for v, d in t.values)
    shape = _uint(len(t.shape)) + b"".join(_uint(d) for d in t.shape)
    return _tuple([None, None, None], [_string(t.name), values, shape])


def _string_tensor(t: StringTensor) -> bytes:
    return _tuple([None, None], [_string(t.name), _dynamic_array([_string(s) for s in t.values])])


def _json_scalar(j: JsonScalar) -> bytes:
    return _tuple([None, None], [_string(j.name), _string(j.value)])


def model_input(value: ModelInput) -> bytes:
    return _tuple(
        [None, None],
        [
            _dynamic_array([_number_tensor(t) for t in value.numbers]),
            _dynamic_array([_string_tensor(t) for t in value.strings]),
        ],
    )


def model_inference_request(value: ModelInferenceRequest) -> bytes:
    return _tuple(
        [_uint(value.mode), None, None], [_string(value.model_cid), model_input(value.input)]
    )


def model_output(value: ModelOutput) -> bytes:
    return _tuple(
        [None, None, None, _uint(int(value.is_simulation_result))],
        [
            _dynamic_array([_number_tensor(t) for t in value.numbers]),
            _dynamic_array([_string_tensor(t) for t in value.strings]),
            _dynamic_array([_json_scalar(j) for j in value.jsons]),
        ],
    )


def single(body: bytes) -> bytes:
    """`abi.encode(x)` of one dynamic value: its offset, then its body."""
    return _uint(_WORD) + body


def event(inference_id: str, request: ModelInferenceRequest, output: ModelOutput) -> bytes:
    """`abi.encode(inferenceID, request, response)` of `ModelInferenceEvent`."""
    return _tuple(
        [None, None, None],
        [_string(inference_id), model_inference_request(request), model_output(output)],
    )
