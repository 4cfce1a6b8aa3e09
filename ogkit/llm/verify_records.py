"""A 0xF4 TEE-mode record, read back from the node over plain RPC.

`ogkit_getInferenceRecord` answers for model records (stored with the chain) and, on a node
of this version, for LLM records too (from its record book, Merkle proof included). Where it
answers null (an older node, or a record its book no longer holds), the record is assembled
from the chain itself, since a receipt's `inferences` entry carries an LLM record's hashes and
settlement but not its signature: the 0xF4 event that names the inference id (its
transaction), that receipt's entry (hashes,
settlement tx), and the `IndividualSettlement` of those hashes in the settlement tx (tee id,
timestamp, signature). A record settled in a batch is not readable this way: the batch's
leaves are not on chain (Walrus holds them on OpenGradient's network).
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode
from web3 import Web3
from web3.logs import DISCARD

from ogkit.llm.verify_chain import relay_contract
from ogkit.settlement.onchain import INFERENCE_TOPICS
from precompiles.addresses import OG_INFERENCE_ADDRESS


class RecordUnavailable(LookupError):
    """Why the record cannot be read back (the message is the reason)."""


def _bare(inference_id: str) -> str:
    return inference_id.lower().removeprefix("0x")


def find_emission(w3: Web3, inference_id: str) -> Any:
    """The 0xF4 log that names `inference_id` (its tx and block), or None."""
    logs = w3.eth.get_logs(
        {
            "address": Web3.to_checksum_address(OG_INFERENCE_ADDRESS),
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [INFERENCE_TOPICS],
        }
    )
    for log in logs:
        try:
            named = decode(["string"], bytes(log["data"]))[0]
        except Exception:  # noqa: BLE001 - an event that names no inference
            continue
        if _bare(named) == _bare(inference_id):
            return log
    return None


def read_record(w3: Web3, inference_id: str) -> dict[str, Any] | None:
    """The record in `ogkit_getInferenceRecord`'s shape, or None if no mined transaction
    emitted that inference. Raises `RecordUnavailable` when its signature is not on chain."""
    stored = w3.provider.make_request("ogkit_getInferenceRecord", [inference_id]).get("result")
    if stored is not None:
        return stored
    log = find_emission(w3, inference_id)
    if log is None:
        return None
    tx = log["transactionHash"].to_0x_hex()
    receipt = w3.provider.make_request("eth_getTransactionReceipt", [tx])["result"]
    (entry,) = [
        e for e in receipt.get("inferences") or [] if _bare(e["inferenceId"]) == _bare(inference_id)
    ]
    record = {**entry, "transactionHash": tx, "blockNumber": log["blockNumber"]}
    if not entry.get("settlementTx"):
        raise RecordUnavailable(
            f"emitted in tx {tx} but not settled yet ({entry.get('settlement')}): its signature "
            "is on chain only once settled"
        )
    record["teeSignature"] = _signature_from_settlement(w3, entry)
    return record


def _signature_from_settlement(w3: Web3, entry: dict[str, Any]) -> dict[str, Any]:
    tx = entry["settlementTx"]
    relay = relay_contract(w3, w3.eth.get_transaction(tx)["to"])
    receipt = w3.eth.get_transaction_receipt(tx)
    hashes = (entry["inputHash"], entry["outputHash"])
    for event in relay.events.IndividualSettlement().process_receipt(receipt, errors=DISCARD):
        args = event.args
        if ("0x" + args.inputHash.hex(), "0x" + args.outputHash.hex()) == hashes:
            return {
                "teeId": "0x" + args.teeId.hex(),
                "timestamp": args.timestamp,
                "signature": "0x" + bytes(args.signature).hex(),
            }
    if relay.events.BatchSettlement().process_receipt(receipt, errors=DISCARD):
        raise RecordUnavailable(
            f"settled in a Merkle batch (tx {tx}) whose leaves are not on chain: the signature "
            "cannot be read back over RPC"
        )
    raise RecordUnavailable(f"tx {tx} settles no record of these hashes")
