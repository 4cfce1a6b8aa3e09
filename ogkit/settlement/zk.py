"""Settles proved ZK-mode inference records through `ZkInferenceSettlement.settleProof`.

For each record the prover queue marked "proved" whose inference a mined transaction emitted:
the proof is verified again off chain with ezkl (a proof ezkl rejects is never submitted),
the model's `Halo2Verifier` is deployed and registered once (looked up on chain first, then
cached), and `settleProof` makes the chain run that verifier. The record ends
`settled <tx hash>` or `failed: <reason>` — the contract's own reason when it refuses.
"""

from __future__ import annotations

from eth_abi import decode, encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ogkit import zk
from ogkit.inference.engine import InferenceEngine
from ogkit.inference.records import InferenceRecord
from ogkit.models.cid import cid_of_sha256
from ogkit.settlement.onchain import NOT_MINED_REASON, emitted_on_chain
from ogkit.settlement.sender import SettlementRejected, TxSender
from ogkit.settlement.tee import Settled

SETTLE_PROOF_TYPES = ["bytes32", "bytes32", "bytes32", "bytes32", "bytes", "uint256[]"]
SETTLE_PROOF = keccak(text=f"settleProof({','.join(SETTLE_PROOF_TYPES)})")[:4]
SET_VERIFIER = keccak(text="setVerifier(bytes32,address)")[:4]
VERIFIERS = keccak(text="verifiers(bytes32)")[:4]
SETTLE_GAS_LIMIT = 2_000_000
"""settleProof's gas limit: EZKL's verifier for a small model takes ~530k gas. Given, not
estimated: an estimate runs the whole verifier several times, a dry-run `eth_call` once."""


def settle_proof_args(
    record: InferenceRecord, artifacts: zk.ZkArtifacts, proof: zk.ZkProof
) -> tuple[bytes, bytes, bytes, bytes, bytes, list[int]]:
    """`settleProof`'s arguments for a record and a proof; the proof bytes and instances are
    decoded from ezkl's own EVM calldata, so they are what its verifier expects."""
    proof_bytes, instances = decode(["bytes", "uint256[]"], zk.evm_calldata(artifacts, proof)[4:])
    return (
        bytes.fromhex(record.inference_id.removeprefix("0x")),
        record.model_hash,
        record.input_hash,
        record.output_hash,
        proof_bytes,
        list(instances),
    )


class ZkSettlement:
    """`relayer` holds SETTLEMENT_RELAY_ROLE; `admin` (default: the relayer) may register
    verifiers, which this service does for a model the contract does not know yet."""

    def __init__(
        self,
        engine: InferenceEngine,
        w3: Web3,
        settlement: str,
        relayer: LocalAccount | str,
        admin: LocalAccount | str | None = None,
        gas_limit: int = SETTLE_GAS_LIMIT,
        receipt_timeout: float = 120.0,
    ) -> None:
        self.engine = engine
        self.w3 = w3
        self.settlement = Web3.to_checksum_address(settlement)
        self.relayer = TxSender(w3, relayer, receipt_timeout)
        self.admin = TxSender(w3, admin or relayer, receipt_timeout)
        self.gas_limit = gas_limit
        self._verifiers: dict[bytes, str] = {}

    def pending(self) -> list[InferenceRecord]:
        """Proved ZK records whose block exists; later ones wait for their block."""
        return self.engine.book.ready_for_zk(self.w3.eth.block_number)

    def settle_pending(self, limit: int | None = None) -> list[Settled]:
        """One pass over the proved ZK records (the oldest `limit` of them); returns what
        became of each."""
        return [Settled(r.inference_id, self._settle(r)) for r in self.pending()[:limit]]

    def settle_pass(self) -> list[Settled]:
        """The service's pass: one proof. Its `settleProof` runs the Halo2Verifier (~0.1 s with
        revm's BN254, `ogkit/chain/bn254.py`) under the chain's lock; one at a time, the
        chain's own requests get in between (the service waits for a quiet moment)."""
        return self.settle_pending(limit=1)

    def verifier_for(self, artifacts: zk.ZkArtifacts, model_hash: bytes) -> str:
        """The model's registered verifier; deploys and registers it on first use."""
        cached = self._verifiers.get(model_hash)
        if cached is not None:
            return cached
        (registered,) = decode(
            ["address"],
            self.w3.eth.call({"to": self.settlement, "data": VERIFIERS + model_hash}),
        )
        if int(registered, 16) == 0:
            built = artifacts.verifier()
            try:
                receipt = self.admin.send(None, bytes.fromhex(built["bytecode"][2:]))
                registered = receipt["contractAddress"]
                data = SET_VERIFIER + encode(["bytes32", "address"], [model_hash, registered])
                self.admin.send(self.settlement, data)
            except SettlementRejected as exc:
                raise RuntimeError(f"registering the verifier of {artifacts.cid}: {exc}") from None
        self._verifiers[model_hash] = Web3.to_checksum_address(registered)
        return self._verifiers[model_hash]

    def _settle(self, record: InferenceRecord) -> str:
        if not emitted_on_chain(self.w3, record):
            return self._fail(record, NOT_MINED_REASON)
        cid = cid_of_sha256(record.model_hash)
        try:
            artifacts = zk.load(self.engine.store, cid)
        except (zk.ZkError, LookupError):
            return self._fail(record, f"model {cid} has no ZK setup")
        proof = record.zk_proof
        if proof is None or not zk.verify(artifacts, proof):
            record.zk_verified = False
            return self._fail(record, "ezkl rejects the proof off chain; not submitted")
        try:
            self.verifier_for(artifacts, record.model_hash)
        except RuntimeError as exc:
            return self._fail(record, str(exc))
        data = SETTLE_PROOF + encode(
            SETTLE_PROOF_TYPES, settle_proof_args(record, artifacts, proof)
        )
        try:
            receipt = self.relayer.send(self.settlement, data, gas=self.gas_limit)
        except SettlementRejected as exc:
            return self._fail(record, str(exc))
        self.engine.book.settled(record, receipt["transactionHash"].to_0x_hex())
        return record.settlement

    def _fail(self, record: InferenceRecord, reason: str) -> str:
        self.engine.book.failed(record, reason)
        return record.settlement
