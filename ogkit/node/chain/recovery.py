"""What a crash (`kill -9`) left half done, finished when the node starts again.

Over HTTP an automined block is sealed just after its `eth_sendRawTransaction` answer is
written (mining.py, ogkit/chain/locking.py). The transaction is stored under
`OWED_TX_KEY` before that answer, and the key goes once its block is in the database; a key
left at start names a transaction whose hash was returned but whose block was not sealed,
so it is applied again, in a block of its own, before the node serves anything. The
transactions answered but not sealed otherwise (waiting in the pool, or in the pending block
of `--block-time`) are stored too, and go back into the pool (txpool.py).

Inference records are stored with their blocks, but the record book that settles them lives
in memory: a record a crash left "pending", "proving" or "proved" goes back into the book.
A TEE record is signed, so the settlement service picks it up again (the simulated
enclave's signing key is kept with the chain, so the signature still verifies); a ZK
record's inputs (and a proof made) are not kept across a restart, so it fails, saying why.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import rlp
from cryptography.hazmat.primitives import serialization

from ogkit.inference.records import InferenceRecord, SettlementState
from ogkit.node.chain import records
from ogkit.node.chain.mining import OWED_TX_KEY
from ogkit.node.chain.transactions import decode_raw
from ogkit.tee.enclave import SignedResult
from precompiles.inference.types import ModelInferenceMode

if TYPE_CHECKING:
    from ogkit.node.chain.node_chain import NodeChain

ZK_LOST = (
    "the node stopped before this inference was proved and settled; its inputs and proof "
    "are not kept across a restart, so it cannot be proved"
)
ENCLAVE_KEY = b"ogkit:enclave-key"
"""The simulated (dev-only) enclave's RSA signing key, PEM: what TEE records are signed with."""
NOT_SIGNED = "the node stopped before this inference was settled, and it has no TEE signature"


def resume(node: NodeChain) -> None:
    """At start, before the node serves anything."""
    keep_enclave_key(node)
    seal_owed_transaction(node)
    node.miner.restore_pool()  # answered, not sealed: waiting or in the pending block
    requeue_records(node)


def keep_enclave_key(node: NodeChain) -> None:
    """A chain in LevelDB keeps its enclave's signing key: TEE records signed before a
    restart verify, and settle, after it (an in-memory chain outlives nothing)."""
    db, slot = node.db, getattr(node.engine, "enclave_slot", None)
    if not hasattr(db, "db") or slot is None or not slot.attestable:
        return
    try:
        pem = db[ENCLAVE_KEY]
    except KeyError:
        db[ENCLAVE_KEY] = slot.get().signing_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return
    key = serialization.load_pem_private_key(pem, password=None)
    slot.install_key(key)  # type: ignore[arg-type]


def seal_owed_transaction(node: NodeChain) -> bytes | None:
    """Seal the transaction a crash left answered but unsealed; its hash, or None."""
    db = node.db
    try:
        stored = db[OWED_TX_KEY]
    except KeyError:
        return None
    raw, sender = rlp.decode(stored)
    tx = decode_raw(node.chain, raw)
    try:
        with node.lock:
            if node.find_transaction(tx.hash) is None:  # else: sealed before the crash
                node.miner.submit(tx, sender=bytes(sender) or None)
                return tx.hash
            return None
    except Exception as exc:  # noqa: BLE001 - say so, and start anyway
        print(f"a transaction answered before a crash could not be sealed: {exc}", file=sys.stderr)
        return None
    finally:
        if OWED_TX_KEY in db:
            del db[OWED_TX_KEY]


def requeue_records(node: NodeChain) -> int:
    """Put the records a crash left unsettled back into the record book (see the module
    docstring); how many."""
    book = getattr(node.engine, "book", None)
    if book is None:
        return 0
    stored = records.unsettled_records(node.db, node.blocks.head.block_number)
    for entry in stored:
        record = _book_record(entry)
        if book.get(record.inference_id) is not None:
            continue  # this process made it: it is being settled
        book.put(record)
        if record.mode is ModelInferenceMode.ZK:
            book.failed(record, ZK_LOST)
        elif record.tee_signature is None:
            book.failed(record, NOT_SIGNED)
    return len(stored)


def _book_record(entry: dict) -> InferenceRecord:
    """A stored record (records.record_json) as the book holds it, settlement pending."""
    signed = entry.get("teeSignature")
    input_hash = _bytes(entry["inputHash"])
    output_hash = _bytes(entry["outputHash"])
    return InferenceRecord(
        inference_id=entry["inferenceId"].lower().removeprefix("0x"),
        model_hash=_bytes(entry["modelHash"]),
        input_hash=input_hash,
        output_hash=output_hash,
        mode=ModelInferenceMode(entry["mode"]),
        block_number=entry["blockNumber"],
        state=SettlementState.PENDING,
        tee_signature=None
        if signed is None
        else SignedResult(
            tee_id=_bytes(signed["teeId"]),
            input_hash=input_hash,
            output_hash=output_hash,
            timestamp=signed["timestamp"],
            message_hash=_bytes(signed["messageHash"]),
            signature=_bytes(signed["signature"]),
        ),
    )


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))
