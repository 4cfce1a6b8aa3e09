"""Settles TEE-mode inference records through `InferenceSettlementRelay`.

Each record whose enclave signature is still `pending` is checked off chain first (the same
RSA-PSS check 0x900 makes) and then settled, either one by one with `settleIndividual` (the
relay re-verifies it on chain through the TEE registry and 0x900) or many at once with
`batchSettle` (a Merkle root over the facilitator's leaves; each record keeps its proof, which
anyone checks with the relay's `verifyProof`). Records end `settled <tx>` or
`failed: <reason>` — never silently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ogkit.inference.engine import InferenceEngine
from ogkit.inference.records import InferenceRecord
from ogkit.settlement.merkle import SETTLEMENT_LEAF_TYPES, StandardMerkleTree
from ogkit.settlement.onchain import NOT_MINED_REASON, emitted_on_chain
from ogkit.settlement.sender import SettlementRejected, TxSender
from ogkit.tee.attestation import verify_result_signature

SETTLE_INDIVIDUAL = keccak(
    text="settleIndividual(bytes32,bytes32,bytes32,uint256,address,bytes,bytes)"
)[:4]
BATCH_SETTLE = keccak(text="batchSettle(bytes32,uint256,bytes)")[:4]
SETTLE_GAS = 400_000
"""Given, not estimated (settleIndividual uses ~126,000; batchSettle less): an estimate
re-runs the 0x900 check a dozen times, a dry `eth_call` once."""


@dataclass(frozen=True)
class Settled:
    inference_id: str
    status: str


def settlement_leaf(record: InferenceRecord) -> list:
    signed = record.tee_signature
    assert signed is not None
    return [
        signed.tee_id,
        record.input_hash,
        record.output_hash,
        signed.signature,
        signed.timestamp,
    ]


class TeeSettlement:
    """`batch_size` 1 settles each record on its own; more puts up to that many per batch."""

    def __init__(
        self,
        engine: InferenceEngine,
        w3: Web3,
        relay: str,
        relayer: LocalAccount | str,
        payee: str | None = None,
        batch_size: int = 1,
        receipt_timeout: float = 120.0,
    ) -> None:
        self.engine = engine
        self.w3 = w3
        self.relay = Web3.to_checksum_address(relay)
        self.sender = TxSender(w3, relayer, receipt_timeout)
        self.payee = Web3.to_checksum_address(payee or self.sender.address)
        self.batch_size = batch_size
        self.batches: dict[bytes, list[list]] = {}
        """Batch root -> the tree's values: what the facilitator would upload to Walrus."""

    def pending(self) -> list[InferenceRecord]:
        """Signed TEE records whose block exists; later ones wait for their block."""
        return self.engine.book.ready_for_tee(self.w3.eth.block_number)

    def settle_pass(self) -> list[Settled]:
        """The service's pass: every pending record (a batch is one cheap transaction)."""
        return self.settle_pending()

    def settle_pending(self) -> list[Settled]:
        """One pass over the pending TEE records; returns what became of each."""
        ready, done = [], []
        for record in self.pending():
            refusal = self._check(record)
            if refusal is not None:
                done.append(Settled(record.inference_id, self._fail(record, refusal)))
            else:
                ready.append(record)
        if self.batch_size > 1:
            for start in range(0, len(ready), self.batch_size):
                done += self._settle_batch(ready[start : start + self.batch_size])
        else:
            done += [Settled(r.inference_id, self._settle_individual(r)) for r in ready]
        return done

    def _check(self, record: InferenceRecord) -> str | None:
        """Why this record must not be settled, or None: the full node's off-chain check."""
        if not emitted_on_chain(self.w3, record):
            return NOT_MINED_REASON
        signed = record.tee_signature
        assert signed is not None
        slot = getattr(self.engine, "enclave_slot", None)
        if slot is not None and not slot.attestable:  # restarted without its --tee-ca
            return "the node's enclave has no identity under the chain's TEE root now"
        check = verify_result_signature(
            self.engine.enclave.signing_public_key_der,
            record.input_hash,
            record.output_hash,
            signed.timestamp,
            signed.signature,
        )
        if not check.valid:
            return f"signature does not verify off chain ({check.reason})"
        return None

    def _settle_individual(self, record: InferenceRecord) -> str:
        signed = record.tee_signature
        assert signed is not None
        data = SETTLE_INDIVIDUAL + encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address", "bytes", "bytes"],
            [
                signed.tee_id,
                record.input_hash,
                record.output_hash,
                signed.timestamp,
                self.payee,
                record.inference_id.encode(),  # stands in for the Walrus blob id
                signed.signature,
            ],
        )
        try:
            receipt = self.sender.send(self.relay, data, gas=SETTLE_GAS)
        except SettlementRejected as exc:
            return self._fail(record, str(exc))
        self.engine.book.settled(record, receipt["transactionHash"].to_0x_hex())
        return record.settlement

    def _settle_batch(self, records: list[InferenceRecord]) -> list[Settled]:
        values = [settlement_leaf(r) for r in records]
        tree = StandardMerkleTree(values, SETTLEMENT_LEAF_TYPES)
        dump = json.dumps([[_hex(v) for v in leaf] for leaf in values]).encode()
        blob_id = b"local-sha256:" + hashlib.sha256(dump).hexdigest().encode()
        data = BATCH_SETTLE + encode(
            ["bytes32", "uint256", "bytes"], [tree.root, len(values), blob_id]
        )
        try:
            receipt = self.sender.send(self.relay, data, gas=SETTLE_GAS)
        except SettlementRejected as exc:
            return [Settled(r.inference_id, self._fail(r, str(exc))) for r in records]
        self.batches[tree.root] = values
        tx = receipt["transactionHash"].to_0x_hex()
        out = []
        for index, record in enumerate(records):
            self.engine.book.settled(record, tx, tree.root, tuple(tree.proof(index)))
            out.append(Settled(record.inference_id, record.settlement))
        return out

    def _fail(self, record: InferenceRecord, reason: str) -> str:
        self.engine.book.failed(record, reason)
        return record.settlement


def _hex(value: object) -> object:
    return "0x" + value.hex() if isinstance(value, bytes) else value
