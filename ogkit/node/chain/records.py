"""Inference records of mined transactions, kept next to the chain (same database).

A transaction that ran a model carries `ModelInferenceEvent` logs from 0xF4; each names its
inference id, and the engine's record for that id says what the chain committed to (model,
input and output hashes, mode, settlement state). The node stores those records per block,
before the block is sealed, so every block reported mined has its records on disk. A later
settlement comes from the inference node's record book: `NodeChain` listens to it and rewrites
the stored record's settlement fields (`update_settlement`), in the same JSON as ever.
"""

from __future__ import annotations

import json
from typing import Any

from ogkit.inference.receipts import InferenceEvent, decode_inference_event
from ogkit.inference.records import PENDING_STATES
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC

_RECORD_KEY = b"ogkit:inference:"
_BLOCK_KEY = b"ogkit:block-inferences:"


def inference_events(logs: Any) -> list[InferenceEvent]:
    """`ModelInferenceEvent`s among a receipt's py-evm logs (only 0xF4 can emit them)."""
    events = []
    for log in logs:
        if (
            log.address == OG_INFERENCE_ADDRESS
            and log.topics
            and (log.topics[0] == MODEL_INFERENCE_EVENT_TOPIC)
        ):
            try:
                events.append(decode_inference_event(log.data))
            except (ValueError, IndexError):
                continue
    return events


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def record_json(engine_record: Any, event: InferenceEvent, tx_hash: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "inferenceId": "0x" + event.inference_id
        if not event.inference_id.startswith("0x")
        else event.inference_id,
        "modelId": event.model_id,
        "mode": event.mode,
        "transactionHash": "0x" + tx_hash.hex(),
    }
    if engine_record is not None:
        out.update(
            {
                "modelHash": "0x" + engine_record.model_hash.hex(),
                "inputHash": "0x" + engine_record.input_hash.hex(),
                "outputHash": "0x" + engine_record.output_hash.hex(),
                "mode": int(engine_record.mode),
                "mocked": bool(getattr(engine_record, "mocked", False)),
                "caller": None
                if engine_record.caller is None
                else "0x" + engine_record.caller.hex(),
            }
        )
        out.update(settlement_json(engine_record))
        signed = getattr(engine_record, "tee_signature", None)
        if signed is not None:
            out["teeSignature"] = {
                "teeId": "0x" + signed.tee_id.hex(),
                "timestamp": signed.timestamp,
                "messageHash": "0x" + signed.message_hash.hex(),
                "signature": "0x" + signed.signature.hex(),
            }
    return out


def settlement_json(engine_record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "settlement": engine_record.settlement,
        "settlementTx": engine_record.settlement_tx,
    }
    if engine_record.merkle_root is not None:
        out["merkleRoot"] = "0x" + engine_record.merkle_root.hex()
        out["merkleProof"] = ["0x" + h.hex() for h in engine_record.merkle_proof]
    return out


def update_settlement(db: Any, engine_record: Any) -> bool:
    """Store a settlement that happened after the block was sealed; False if the record is
    not (or no longer) in the database, e.g. its block was rewound."""
    key = _id_key(engine_record.inference_id)
    try:
        record = json.loads(db[key])
    except KeyError:
        return False
    record.update(settlement_json(engine_record))
    db[key] = json.dumps(record).encode()
    return True


def _id_key(inference_id: str) -> bytes:
    return _RECORD_KEY + inference_id.lower().removeprefix("0x").encode()


def block_key(number: int) -> bytes:
    return _BLOCK_KEY + number.to_bytes(8, "big")


def write_block_records(batch: Any, number: int, records: list[dict[str, Any]]) -> None:
    """Always writes the block's list (empty too), replacing leftovers of an unsealed block."""
    ids = []
    for record in records:
        record = {**record, "blockNumber": number}
        batch[_id_key(record["inferenceId"])] = json.dumps(record).encode()
        ids.append(record["inferenceId"])
    if ids:
        batch[block_key(number)] = json.dumps(ids).encode()
    elif block_key(number) in batch:
        del batch[block_key(number)]


def delete_block_records(batch: Any, number: int) -> None:
    key = block_key(number)
    if key not in batch:
        return
    for inference_id in json.loads(batch[key]):
        record_key = _id_key(inference_id)
        if record_key in batch:
            record = json.loads(batch[record_key])
            if record.get("blockNumber") == number:
                del batch[record_key]
    del batch[key]


def read_record(db: Any, inference_id: str, head: int) -> dict[str, Any] | None:
    try:
        record = json.loads(db[_id_key(inference_id)])
    except KeyError:
        return None
    number = record.get("blockNumber", -1)
    if number > head:
        return None
    try:
        ids = json.loads(db[block_key(number)])
    except KeyError:
        return None
    return record if record["inferenceId"] in ids else None


def read_block_records(db: Any, number: int) -> list[dict[str, Any]]:
    try:
        ids = json.loads(db[block_key(number)])
    except KeyError:
        return []
    out = []
    for inference_id in ids:
        try:
            record = json.loads(db[_id_key(inference_id)])
        except KeyError:
            continue
        if record.get("blockNumber") == number:
            out.append(record)
    return out


def unsettled_records(db: Any, head: int) -> list[dict[str, Any]]:
    """Stored records of blocks up to `head` whose settlement can still change ("pending",
    "proving", "proved"): what a crash left half settled. Only LevelDB outlives a process."""
    level = getattr(db, "db", None)
    if level is None or not hasattr(level, "iterator"):
        return []
    out = []
    with level.iterator(prefix=_RECORD_KEY, include_key=False) as values:
        for value in values:
            record = json.loads(value)
            if record.get("settlement") in PENDING_STATES and read_record(
                db, record["inferenceId"], head
            ):
                out.append(record)
    return out
