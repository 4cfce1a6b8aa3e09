"""The precompile calls of a transaction, as its receipt lists them.

A transaction's events from 0xF4 say what was called (`ModelInferenceEvent`,
`LLMCompletionEvent`, `LLMChat`: inference id, mode, model); the inference record says what
the chain committed to (hashes, the caller, settlement). Both hosts, the in-process chain and
`ogkit node`, build the list here, so `receipt.inferences` reads the same on either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from ogkit.inference.records import InferenceRecord
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.inference.llm_codec import (
    LLM_CHAT_EVENT_SIGNATURE,
    LLM_COMPLETION_EVENT_SIGNATURE,
    RUN_LLM_CHAT_SIGNATURE,
    RUN_LLM_COMPLETION_SIGNATURE,
)
from precompiles.inference.model_codec import (
    MODEL_INFERENCE_EVENT_SIGNATURE,
    RUN_MODEL_INFERENCE_SIGNATURE,
)


def _topic(signature: str) -> int:
    return int.from_bytes(keccak(text=signature), "big")


CALLS: dict[int, tuple[str, str]] = {
    _topic(event): (function.split("(")[0], "0x" + keccak(text=function)[:4].hex())
    for event, function in (
        (MODEL_INFERENCE_EVENT_SIGNATURE, RUN_MODEL_INFERENCE_SIGNATURE),
        (LLM_COMPLETION_EVENT_SIGNATURE, RUN_LLM_COMPLETION_SIGNATURE),
        (LLM_CHAT_EVENT_SIGNATURE, RUN_LLM_CHAT_SIGNATURE),
    )
}
"""Event topic -> (the precompile function that emits it, its selector)."""


@dataclass(frozen=True)
class InferenceEvent:
    inference_id: str
    mode: int
    model_id: str


def _word(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 32 > len(data):
        raise ValueError("event data too short")
    return int.from_bytes(data[offset : offset + 32], "big")


def _string(data: bytes, offset: int) -> str:
    length = _word(data, offset)
    if offset + 32 + length > len(data):
        raise ValueError("event string out of range")
    return data[offset + 32 : offset + 32 + length].decode("utf-8", "replace")


def decode_inference_event(data: bytes) -> InferenceEvent:
    """The head every 0xF4 event shares: `(string id, (uint8 mode, string model, …), …)`."""
    inference_id = _string(data, _word(data, 0))
    request = _word(data, 32)
    mode = _word(data, request)
    model_id = _string(data, request + _word(data, request + 32))
    return InferenceEvent(inference_id, mode, model_id)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def record_fields(record: InferenceRecord) -> dict[str, Any]:
    """What a record adds to its call's entry (the node stores the same names)."""
    return {
        "caller": _hex(record.caller),
        "modelHash": _hex(record.model_hash),
        "inputHash": _hex(record.input_hash),
        "outputHash": _hex(record.output_hash),
        "settlement": record.settlement,
        "settlementTx": record.settlement_tx,
    }


ENTRY_FIELDS = ("caller", "modelHash", "inputHash", "outputHash", "settlement", "settlementTx")


def precompile_calls(
    logs: Iterable[tuple[bytes, Sequence[int], bytes]],
    lookup: Callable[[str], Mapping[str, Any] | None],
    first_log_index: int = 0,
) -> list[dict[str, Any]]:
    """One entry per 0xF4 call the transaction made, in order: from its events (address,
    topics, data), completed by `lookup(inference id)` (a record's fields, or None)."""
    out = []
    for index, (address, topics, data) in enumerate(logs):
        if address != OG_INFERENCE_ADDRESS or not topics or topics[0] not in CALLS:
            continue
        try:
            event = decode_inference_event(data)
        except (ValueError, IndexError):
            continue
        function, selector = CALLS[topics[0]]
        inference_id = "0x" + event.inference_id.lower().removeprefix("0x")
        entry: dict[str, Any] = {
            "precompile": "0x" + OG_INFERENCE_ADDRESS.hex(),
            "function": function,
            "selector": selector,
            "inferenceId": inference_id,
            "mode": event.mode,
            "modelId": event.model_id,
            "logIndex": first_log_index + index,
        }
        record = lookup(inference_id) or {}
        entry.update({name: record.get(name) for name in ENTRY_FIELDS})
        out.append(entry)
    return out
