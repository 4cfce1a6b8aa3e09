"""The chain check every settler shares: was an inference emitted by a mined transaction?"""

from __future__ import annotations

from eth_abi import decode
from eth_utils import keccak
from web3 import Web3

from ogkit.inference.records import InferenceRecord
from precompiles.abi_codec import (
    MODEL_INFERENCE_EVENT_SIGNATURE,
    MODEL_INFERENCE_REQUEST,
    MODEL_OUTPUT,
)
from precompiles.addresses import OG_INFERENCE_ADDRESS

NOT_MINED_REASON = "not in a mined transaction (eth_call or reverted)"
NOT_MINED = f"failed: {NOT_MINED_REASON}"


def emitted_on_chain(w3: Web3, record: InferenceRecord) -> bool:
    """Did a mined transaction emit this inference? An `eth_call`, a gas estimate or a
    reverted transaction also leaves a record, and those must never be settled."""
    logs = w3.eth.get_logs(
        {
            "address": Web3.to_checksum_address(OG_INFERENCE_ADDRESS),
            "fromBlock": record.block_number,
            "toBlock": record.block_number,
            "topics": [keccak(text=MODEL_INFERENCE_EVENT_SIGNATURE)],
        }
    )
    types = ["string", MODEL_INFERENCE_REQUEST, MODEL_OUTPUT]
    return any(decode(types, bytes(log["data"]))[0] == record.inference_id for log in logs)
