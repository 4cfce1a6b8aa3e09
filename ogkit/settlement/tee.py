"""Settles TEE-mode inference records through `InferenceSettlementRelay.settleIndividual`.

Each record whose enclave signature is still `pending` is checked off chain first (the same
RSA-PSS check 0x900 makes), then submitted; the relay re-verifies it on chain through the
TEE registry. The record ends `settled <tx hash>` or `failed: <reason>` — never silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from ogkit.inference.engine import InferenceEngine, InferenceRecord
from ogkit.settlement.onchain import emitted_on_chain
from ogkit.tee.attestation import verify_result_signature

SETTLE_INDIVIDUAL = keccak(
    text="settleIndividual(bytes32,bytes32,bytes32,uint256,address,bytes,bytes)"
)[:4]


@dataclass(frozen=True)
class Settled:
    inference_id: str
    status: str


class TeeSettlement:
    def __init__(
        self, engine: InferenceEngine, w3: Web3, relay: str, relayer: str, payee: str | None = None
    ) -> None:
        self.engine = engine
        self.w3 = w3
        self.relay = Web3.to_checksum_address(relay)
        self.relayer = Web3.to_checksum_address(relayer)
        self.payee = Web3.to_checksum_address(payee or relayer)

    def pending(self) -> list[InferenceRecord]:
        """Signed TEE records whose block exists; later ones wait for their block."""
        head = self.w3.eth.block_number
        return [
            r
            for r in self.engine.records.values()
            if r.tee_signature is not None and r.settlement == "pending" and r.block_number <= head
        ]

    def _on_chain(self, record: InferenceRecord) -> bool:
        return emitted_on_chain(self.w3, record)

    def settle_pending(self) -> list[Settled]:
        """One pass over the pending TEE records; returns what became of each."""
        return [Settled(r.inference_id, self._settle(r)) for r in self.pending()]

    def _settle(self, record: InferenceRecord) -> str:
        signed = record.tee_signature
        assert signed is not None
        if not self._on_chain(record):
            return self._mark(record, "failed: not in a mined transaction (eth_call or reverted)")
        check = verify_result_signature(
            self.engine.enclave.signing_public_key_der,
            record.input_hash,
            record.output_hash,
            signed.timestamp,
            signed.signature,
        )
        if not check.valid:
            return self._mark(
                record, f"failed: signature does not verify off chain ({check.reason})"
            )
        tx = {
            "from": self.relayer,
            "to": self.relay,
            "data": SETTLE_INDIVIDUAL
            + encode(
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
            ),
        }
        try:
            self.w3.eth.call(tx)  # the relay's own reason if it would revert
        except (ContractLogicError, TransactionFailed) as exc:
            reason = str(getattr(exc, "message", None) or exc)
            return self._mark(record, f"failed: {reason.removeprefix('execution reverted: ')}")
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(tx))
        if receipt["status"] != 1:
            return self._mark(record, "failed: settlement transaction reverted")
        return self._mark(record, f"settled {receipt['transactionHash'].to_0x_hex()}")

    @staticmethod
    def _mark(record: InferenceRecord, status: str) -> str:
        record.settlement = status
        return status
