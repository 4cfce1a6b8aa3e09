"""Chain checks every settler shares: was an inference emitted by a mined transaction, and
sending a settlement transaction with the contract's own revert reason on failure."""

from __future__ import annotations

from eth_abi import decode
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from ogkit.inference.engine import InferenceRecord
from precompiles.abi_codec import (
    MODEL_INFERENCE_EVENT_SIGNATURE,
    MODEL_INFERENCE_REQUEST,
    MODEL_OUTPUT,
)
from precompiles.addresses import OG_INFERENCE_ADDRESS

NOT_MINED = "failed: not in a mined transaction (eth_call or reverted)"


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


def transact(w3: Web3, tx: dict) -> tuple[bool, str]:
    """(True, tx hash) once mined successfully, else (False, the revert reason): the call is
    tried first so a refusal costs nothing and reads as the contract's own reason."""
    try:
        w3.eth.call(tx)
    except (ContractLogicError, TransactionFailed) as exc:
        reason = str(getattr(exc, "message", None) or exc)
        return False, reason.removeprefix("execution reverted: ")
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
    if receipt["status"] != 1:
        return False, "settlement transaction reverted"
    return True, receipt["transactionHash"].to_0x_hex()
