"""ABI codec for the 0xF4 structs: the hot path of every inference call.

Decoding is hand-written for this one schema rather than left to eth-abi's generic decoder
because the calldata is untrusted: ABI offsets can alias, so a small payload may describe
billions of elements. This decoder walks the same layout with an element budget, checks
every word the way Solidity's own decoder does, and fails with a readable reason. Encoding
is hand-written too (`abi_encoder`), for speed; property tests hold both to eth-abi.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from precompiles import abi_encoder
from precompiles.types import (
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
_WORD = 32
_INT128_MIN = -(1 << 127)
_INT128_MAX = (1 << 127) - 1
_T = TypeVar("_T")


class AbiDecodeError(ValueError):
    """Calldata that Solidity's decoder would also reject."""


class _Reader:
    """Reads ABI words from one buffer, spending a shared element budget."""

    __slots__ = ("data", "budget", "string_budget")

    def __init__(self, data: bytes, budget: int) -> None:
        self.data = data
        self.budget = budget
        # Without aliased offsets an encoding never holds more string bytes than its length,
        # so this never rejects honest calldata but stops one big string decoded many times.
        self.string_budget = len(data)

    def word(self, at: int) -> bytes:
        if at < 0 or at + _WORD > len(self.data):
            raise AbiDecodeError(f"calldata too short: need 32 bytes at offset {at}")
        return self.data[at : at + _WORD]

    def uint(self, at: int, bits: int = 256) -> int:
        value = int.from_bytes(self.word(at), "big")
        if value >> bits:
            raise AbiDecodeError(f"uint{bits} out of range at offset {at}")
        return value

    def int128(self, at: int) -> int:
        value = int.from_bytes(self.word(at), "big", signed=True)
        if not _INT128_MIN <= value <= _INT128_MAX:
            raise AbiDecodeError(f"int128 out of range at offset {at}")
        return value

    def offset(self, base: int, at: int) -> int:
        pointer = self.uint(at, 64)
        target = base + pointer
        if target >= len(self.data):
            raise AbiDecodeError(f"offset {pointer} at {at} points past the end of calldata")
        return target

    def length(self, at: int) -> int:
        n = self.uint(at, 64)
        if n > self.budget:
            raise AbiDecodeError(f"array of {n} elements exceeds the decoding cap")
        self.budget -= n
        return n

    def string(self, at: int) -> str:
        n = self.uint(at, 64)
        if at + _WORD + n > len(self.data):
            raise AbiDecodeError(f"string of {n} bytes at offset {at} runs past calldata")
        if n > self.string_budget:
            raise AbiDecodeError(f"string of {n} bytes at offset {at} exceeds the decoding cap")
        self.string_budget -= n
        raw = self.data[at + _WORD : at + _WORD + n]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AbiDecodeError(f"string at offset {at} is not valid UTF-8") from exc

    def array(self, at: int, item: Callable[[int, int], _T], dynamic: bool) -> tuple[_T, ...]:
        """Decode `T[]` at `at`; `item(base, head)` decodes one element."""
        n = self.length(at)
        base = at + _WORD
        if dynamic:
            return tuple(item(base, self.offset(base, base + i * _WORD)) for i in range(n))
        return tuple(item(base, base + i * _WORD) for i in range(n))


AbiReader = _Reader
"""Public name for other precompiles' bounded decoders (0xF5's query)."""


def _number_tensor(r: _Reader, at: int) -> NumberTensor:
    name = r.string(r.offset(at, at))
    values_at = r.offset(at, at + _WORD)
    n = r.length(values_at)
    first = values_at + _WORD
    values = tuple(
        (r.int128(first + 2 * i * _WORD), r.int128(first + (2 * i + 1) * _WORD)) for i in range(n)
    )
    shape = r.array(r.offset(at, at + 2 * _WORD), lambda _b, h: r.uint(h, 32), dynamic=False)
    return NumberTensor(name, values, shape)


def _string_tensor(r: _Reader, at: int) -> StringTensor:
    name = r.string(r.offset(at, at))
    values = r.array(r.offset(at, at + _WORD), lambda _b, h: r.string(h), dynamic=True)
    return StringTensor(name, values)


def _model_input(r: _Reader, at: int) -> ModelInput:
    numbers = r.array(r.offset(at, at), lambda _b, h: _number_tensor(r, h), dynamic=True)
    strings = r.array(r.offset(at, at + _WORD), lambda _b, h: _string_tensor(r, h), dynamic=True)
    return ModelInput(numbers, strings)


def decode_model_inference_request(
    args: bytes, budget: int = DEFAULT_ELEMENT_BUDGET
) -> ModelInferenceRequest:
    """Decode the arguments (calldata after the selector) of `runModelInference`."""
    r = _Reader(args, budget)
    at = r.offset(0, 0)
    mode = r.uint(at, 8)
    model_cid = r.string(r.offset(at, at + _WORD))
    model_input = _model_input(r, r.offset(at, at + 2 * _WORD))
    return ModelInferenceRequest(mode, model_cid, model_input)


def encode_model_inference_request(request: ModelInferenceRequest) -> bytes:
    """Arguments of `runModelInference` (no selector): what a client sends."""
    return abi_encoder.single(abi_encoder.model_inference_request(request))


def encode_model_output(output: ModelOutput) -> bytes:
    """Return data of `runModelInference`."""
    return abi_encoder.single(abi_encoder.model_output(output))


def encode_model_inference_event(
    inference_id: str, request: ModelInferenceRequest, output: ModelOutput
) -> bytes:
    """Data of `ModelInferenceEvent` (nothing is indexed, so everything is data)."""
    return abi_encoder.event(inference_id, request, output)


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


def encode_model_input(model_input: ModelInput) -> bytes:
    """Canonical bytes of a `ModelInput`: what the input hash is taken over."""
    return abi_encoder.single(abi_encoder.model_input(model_input))
