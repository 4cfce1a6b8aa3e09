"""The chain check every settler shares: was an inference emitted by a mined transaction?"""

from __future__ import annotations

from eth_abi import decode
from eth_utils import keccak
from web3 import Web3

from ogkit.inference.records import InferenceRecord
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.inference.llm_codec import LLM_CHAT_EVENT_SIGNATURE, LLM_COMPLETION_EVENT_SIGNATURE
from precompiles.inference.model_codec import MODEL_INFERENCE_EVENT_SIGNATURE

NOT_MINED_REASON = "not in a mined transaction (eth_call or reverted)"
NOT_MINED = f"failed: {NOT_MINED_REASON}"
INFERENCE_TOPICS = [
    keccak(text=signature)
    for signature in (
        MODEL_INFERENCE_EVENT_SIGNATURE,
        LLM_COMPLETION_EVENT_SIGNATURE,
        LLM_CHAT_EVENT_SIGNATURE,
    )
]
"""0xF4's events that name an inference: a model's, an LLM completion's, an LLM chat's (each
starts with the inference id as a string)."""


def emitted_on_chain(w3: Web3, record: InferenceRecord) -> bool:
    """Did a mined transaction emit this inference? An `eth_call`, a gas estimate or a
    reverted transaction also leaves a record, and those must never be settled."""
    logs = w3.eth.get_logs(
        {
            "address": Web3.to_checksum_address(OG_INFERENCE_ADDRESS),
            "fromBlock": record.block_number,
            "toBlock": record.block_number,
            "topics": [INFERENCE_TOPICS],
        }
    )
    return any(_inference_id(bytes(log["data"])) == record.inference_id for log in logs)


def _inference_id(data: bytes) -> str | None:
    """The event's first field (the inference id); the rest of the event is not read."""
    try:
        (inference_id,) = decode(["string"], data)
    except Exception:  # noqa: BLE001 - not an event of ours: it names no inference
        return None
    return inference_id
