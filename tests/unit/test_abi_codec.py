"""The hand-written 0xF4 ABI decoder: same values as eth-abi, and strict on hostile input.

Type strings are spelled out here from the reference (§4) rather than imported, so the codec
is checked against the published interface, not against itself.
"""

from __future__ import annotations

import time

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from precompiles.abi.reader import AbiDecodeError
from precompiles.inference import model_codec
from precompiles.inference.model_codec import (
    decode_model_inference_request,
    decode_model_output,
    encode_model_inference_event,
    encode_model_inference_request,
    encode_model_input,
    encode_model_output,
)
from precompiles.inference.types import (
    JsonScalar,
    ModelInferenceRequest,
    ModelInput,
    ModelOutput,
    NumberTensor,
    StringTensor,
)

REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
INPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[])"
OUTPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
RUN_SIGNATURE = (
    "runModelInference((uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[])))"
)
EVENT_TOPIC = "1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87"
INT128_MIN, INT128_MAX = -(2**127), 2**127 - 1
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def word(x: int) -> bytes:
    return (x % 2**256).to_bytes(32, "big")


def as_abi(request: ModelInferenceRequest) -> tuple:
    """The request as eth-abi values, built field by field from the dataclasses."""
    return (
        request.mode,
        request.model_cid,
        (
            [(t.name, [list(v) for v in t.values], list(t.shape)) for t in request.input.numbers],
            [(t.name, list(t.values)) for t in request.input.strings],
        ),
    )


def output_as_abi(output: ModelOutput) -> tuple:
    return (
        [(t.name, [list(v) for v in t.values], list(t.shape)) for t in output.numbers],
        [(t.name, list(t.values)) for t in output.strings],
        [(j.name, j.value) for j in output.jsons],
        output.is_simulation_result,
    )


# --- strategies -----------------------------------------------------------------------------------

text = st.text(max_size=12)
int128 = st.integers(INT128_MIN, INT128_MAX)
uint32 = st.integers(0, 2**32 - 1)
number_tensors = st.builds(
    NumberTensor,
    text,
    st.lists(st.tuples(int128, int128), max_size=5).map(tuple),
    st.lists(uint32, max_size=4).map(tuple),
)
string_tensors = st.builds(StringTensor, text, st.lists(text, max_size=4).map(tuple))
model_inputs = st.builds(
    ModelInput,
    st.lists(number_tensors, max_size=3).map(tuple),
    st.lists(string_tensors, max_size=3).map(tuple),
)
requests = st.builds(ModelInferenceRequest, st.integers(0, 255), text, model_inputs)
outputs = st.builds(
    ModelOutput,
    st.lists(number_tensors, max_size=3).map(tuple),
    st.lists(string_tensors, max_size=3).map(tuple),
    st.lists(st.builds(JsonScalar, text, text), max_size=3).map(tuple),
    st.booleans(),
)


# --- round trips ----------------------------------------------------------------------------------


@SETTINGS
@given(requests)
def test_request_round_trip(request: ModelInferenceRequest) -> None:
    data = encode([REQUEST_TYPE], [as_abi(request)])
    decoded = decode_model_inference_request(data)
    assert decoded == request
    assert encode_model_inference_request(decoded) == data
    # and the generic decoder agrees on the same bytes
    (raw,) = decode([REQUEST_TYPE], data)
    assert raw[0] == request.mode and raw[1] == request.model_cid
    assert encode_model_input(decoded.input) == encode([INPUT_TYPE], [as_abi(request)[2]])


@SETTINGS
@given(outputs)
def test_output_round_trip(output: ModelOutput) -> None:
    data = encode_model_output(output)
    assert data == encode([OUTPUT_TYPE], [output_as_abi(output)])
    assert decode_model_output(data) == output


@settings(max_examples=50, deadline=None)
@given(text, requests, outputs)
def test_event_data(inference_id: str, request: ModelInferenceRequest, output: ModelOutput) -> None:
    data = encode_model_inference_event(inference_id, request, output)
    assert data == encode(
        ["string", REQUEST_TYPE, OUTPUT_TYPE],
        [inference_id, as_abi(request), output_as_abi(output)],
    )


def test_fixed_example_bytes() -> None:
    """One request spelled out word by word, so the layout itself is pinned."""
    request = ModelInferenceRequest(
        1, "Qm", ModelInput((NumberTensor("in", ((15, 1),), (1,)),), ())
    )
    words = [
        0x20,  # offset of the request tuple
        1,  # mode
        0x60,  # modelCID offset (from the tuple head)
        0xA0,  # input offset
        2,
        int.from_bytes(b"Qm".ljust(32, b"\0"), "big"),
        0x40,  # numbers offset (from the input head)
        0x1C0,  # strings offset: after the 12 words of the numbers array
        1,  # one number tensor
        0x20,  # its offset
        0x60,  # name offset (from the tensor head)
        0xA0,  # values offset
        0x100,  # shape offset
        2,
        int.from_bytes(b"in".ljust(32, b"\0"), "big"),
        1,  # one Number
        15,
        1,
        1,  # shape [1]
        1,
        0,  # no string tensors
    ]
    data = b"".join(word(w) for w in words)
    assert encode_model_inference_request(request) == data
    assert decode_model_inference_request(data) == request


@SETTINGS
@given(requests, st.data())
def test_truncation_is_rejected(request: ModelInferenceRequest, data: st.DataObject) -> None:
    encoded = encode([REQUEST_TYPE], [as_abi(request)])
    cut = data.draw(st.integers(1, len(encoded)))
    trailing_zeros = len(encoded) - len(encoded.rstrip(b"\0"))
    try:
        decoded = decode_model_inference_request(encoded[:-cut])
    except AbiDecodeError:
        return
    # only the padding of the last string can go without losing anything
    assert cut <= trailing_zeros
    assert decoded == request


# --- selector and topic ---------------------------------------------------------------------------


def test_selector_and_topic() -> None:
    from precompiles.inference import models, precompile

    assert model_codec.RUN_MODEL_INFERENCE_SIGNATURE == RUN_SIGNATURE
    assert keccak(text=model_codec.RUN_MODEL_INFERENCE_SIGNATURE)[:4].hex() == "7289e9c2"
    assert precompile.RUN_MODEL_INFERENCE == bytes.fromhex("7289e9c2")
    signature = model_codec.MODEL_INFERENCE_EVENT_SIGNATURE
    assert signature == f"ModelInferenceEvent(string,{REQUEST_TYPE},{OUTPUT_TYPE})"
    assert keccak(text=signature).hex() == EVENT_TOPIC
    assert models.MODEL_INFERENCE_EVENT_TOPIC == int(EVENT_TOPIC, 16)


# --- hostile input --------------------------------------------------------------------------------


def base_request() -> bytes:
    request = ModelInferenceRequest(
        0,
        "AAAA",
        ModelInput(
            (NumberTensor("x", ((5, 0), (-7, 2)), (2,)),),
            (StringTensor("s", ("hello",)),),
        ),
    )
    return encode([REQUEST_TYPE], [as_abi(request)])


def replace_word(data: bytes, index: int, value: int) -> bytes:
    return data[: 32 * index] + word(value) + data[32 * (index + 1) :]


def find_word(data: bytes, value: int, start: int = 0) -> int:
    for i in range(start, len(data) // 32):
        if data[32 * i : 32 * i + 32] == word(value):
            return i
    raise AssertionError(f"{value} not in data")


def reject(data: bytes, message: str, budget: int | None = None) -> None:
    with pytest.raises(AbiDecodeError) as exc:
        if budget is None:
            decode_model_inference_request(data)
        else:
            decode_model_inference_request(data, budget=budget)
    assert str(exc.value) == message


def test_base_request_layout() -> None:
    data = base_request()
    assert decode_model_inference_request(data).model_cid == "AAAA"
    # words used below: 1 mode, 11 values offset, 16 first value, 17 its decimals, 21 shape[0]
    assert [int.from_bytes(data[32 * i : 32 * i + 32], "big") for i in (1, 16, 17, 21)] == [
        0,
        5,
        0,
        2,
    ]


def test_empty_and_short() -> None:
    reject(b"", "calldata too short: need 32 bytes at offset 0")
    reject(b"\0" * 31, "calldata too short: need 32 bytes at offset 0")
    data = base_request()
    reject(data[:100], "offset 96 at 64 points past the end of calldata")
    reject(data[:150], "calldata too short: need 32 bytes at offset 128")


def test_non_utf8() -> None:
    data = base_request().replace(b"AAAA", b"\xff\xfeAA")
    reject(data, "string at offset 128 is not valid UTF-8")
    data = base_request().replace(b"hello", b"he\xc3(o")
    with pytest.raises(AbiDecodeError, match="is not valid UTF-8"):
        decode_model_inference_request(data)


@pytest.mark.parametrize(
    ("bad", "ok"),
    [
        (2**127, 2**127 - 1),  # one past int128 max
        (-(2**127) - 1, -(2**127)),  # one below int128 min
        (2**255, 1),  # garbage high bits
    ],
)
def test_int128_out_of_range(bad: int, ok: int) -> None:
    data = base_request()
    for index in (16, 17):  # a value and its decimals
        good = decode_model_inference_request(replace_word(data, index, ok))
        assert ok in good.input.numbers[0].values[0]
        reject(replace_word(data, index, bad), f"int128 out of range at offset {32 * index}")


def test_uint8_mode_out_of_range() -> None:
    data = base_request()
    assert decode_model_inference_request(replace_word(data, 1, 255)).mode == 255
    reject(replace_word(data, 1, 256), "uint8 out of range at offset 32")
    reject(replace_word(data, 1, 2**256 - 1), "uint8 out of range at offset 32")


def test_uint32_shape_out_of_range() -> None:
    data = base_request()
    shape = decode_model_inference_request(replace_word(data, 21, 2**32 - 1)).input.numbers[0].shape
    assert shape == (2**32 - 1,)
    reject(replace_word(data, 21, 2**32), "uint32 out of range at offset 672")


def test_offsets_past_the_end() -> None:
    data = base_request()
    n = len(data)
    reject(replace_word(data, 0, n), f"offset {n} at 0 points past the end of calldata")
    reject(
        replace_word(data, 0, 2**64 - 1), f"offset {2**64 - 1} at 0 points past the end of calldata"
    )
    reject(replace_word(data, 0, 2**64), "uint64 out of range at offset 0")
    reject(replace_word(data, 0, 2**256 - 32), "uint64 out of range at offset 0")
    # an inner offset (the values array of the number tensor, relative to the tensor head)
    reject(replace_word(data, 11, n), f"offset {n} at 352 points past the end of calldata")


def test_lengths_past_the_end() -> None:
    data = base_request()
    cid_length = find_word(data, 4)  # the length of "AAAA"
    reject(
        replace_word(data, cid_length, 10**6),
        f"string of {10**6} bytes at offset {32 * cid_length} runs past calldata",
    )
    reject(
        replace_word(data, cid_length, 2**64), f"uint64 out of range at offset {32 * cid_length}"
    )
    values_length = 15  # the number tensor has two Numbers
    assert data[32 * values_length : 32 * values_length + 32] == word(2)
    reject(
        replace_word(data, values_length, 2**40),
        f"array of {2**40} elements exceeds the decoding cap",
    )
    # an array that claims more elements than the calldata holds (all other words small)
    zeros = encode(
        [REQUEST_TYPE],
        [as_abi(ModelInferenceRequest(0, "", ModelInput((NumberTensor("", ((0, 0),), (1,)),))))],
    )
    count = find_word(zeros, 1, start=9)  # the values length
    assert decode_model_inference_request(zeros).input.numbers[0].values == ((0, 0),)
    reject(
        replace_word(zeros, count, 1000),
        f"calldata too short: need 32 bytes at offset {len(zeros)}",
    )


# --- aliasing bombs -------------------------------------------------------------------------------


def aliased_numbers(tensors: int, values: int) -> bytes:
    """`tensors` number tensors whose offsets all point to one tensor of `values` Numbers."""
    cid = word(1) + b"m".ljust(32, b"\0")
    tensor = word(0x60) + word(0xA0) + word(0xA0 + 32 + 64 * values)  # name, values, shape
    tensor += word(1) + b"t".ljust(32, b"\0")
    tensor += word(values) + b"".join(word(i) + word(0) for i in range(values))
    tensor += word(1) + word(values)
    numbers = word(tensors) + word(32 * tensors) * tensors + tensor
    model_input = word(0x40) + word(0x40 + len(numbers)) + numbers + word(0)
    request = word(0) + word(0x60) + word(0x60 + len(cid)) + cid + model_input
    return word(0x20) + request


def aliased_strings(tensors: int, strings: int, string_bytes: int) -> bytes:
    """`tensors` string tensors -> one tensor whose `strings` offsets -> one long string."""
    cid = word(1) + b"m".ljust(32, b"\0")
    padded = -(-string_bytes // 32) * 32
    values = word(strings) + word(32 * strings) * strings
    values += word(string_bytes) + b"z" * string_bytes + b"\0" * (padded - string_bytes)
    tensor = word(0x40) + word(0x80) + word(1) + b"s".ljust(32, b"\0") + values
    strings_array = word(tensors) + word(32 * tensors) * tensors + tensor
    model_input = word(0x40) + word(0x60) + word(0) + strings_array
    request = word(0) + word(0x60) + word(0x60 + len(cid)) + cid + model_input
    return word(0x20) + request


def test_aliasing_helpers_decode_when_small() -> None:
    numbers = decode_model_inference_request(aliased_numbers(3, 4)).input.numbers
    assert numbers == (NumberTensor("t", tuple((i, 0) for i in range(4)), (4,)),) * 3
    strings = decode_model_inference_request(aliased_strings(2, 3, 5)).input.strings
    assert strings == (StringTensor("s", ("zzzzz",) * 3),) * 2


def test_array_bomb_is_rejected_quickly() -> None:
    # 100 tensors x 2000 Numbers from 129 KiB: 200,000 elements against a 131,072 budget
    data = aliased_numbers(100, 2000)
    assert len(data) < 135_000
    start = time.perf_counter()
    # budget: 100 (tensor array) + 65 x (2000 values + 1 shape) spent, 907 left for tensor 66
    reject(data, "array of 2000 elements exceeds the decoding cap", budget=1 << 17)
    assert time.perf_counter() - start < 1.0
    assert model_codec.DEFAULT_ELEMENT_BUDGET == 1 << 17
    reject(data, "array of 2000 elements exceeds the decoding cap")


def test_string_bomb_is_rejected_quickly() -> None:
    # one 64 KiB string referenced 8 x 1000 times: 500 MiB of strings from 100 KiB of calldata
    data = aliased_strings(8, 1000, 1 << 16)
    assert len(data) < 110_000
    start = time.perf_counter()
    with pytest.raises(AbiDecodeError) as exc:
        decode_model_inference_request(data)
    assert time.perf_counter() - start < 1.0
    # the first copy fits in the calldata's own length; the second does not
    string_at = len(data) - 32 - (1 << 16)
    assert str(exc.value) == f"string of 65536 bytes at offset {string_at} exceeds the decoding cap"


def test_honest_strings_use_the_whole_budget() -> None:
    """A request that is almost all string bytes still decodes (the cap is the data's length)."""
    request = ModelInferenceRequest(
        0, "c" * 1000, ModelInput((), (StringTensor("s" * 500, ("é" * 4000, "", "x" * 31)),))
    )
    data = encode([REQUEST_TYPE], [as_abi(request)])
    assert decode_model_inference_request(data) == request
