"""The gateway's answers settle on the AI chain, through the relay at OpenGradient's LLM
settlement address (`LLM_SETTLEMENT_RELAY_ADDRESS`, in genesis), as the settlement modes of
OpenGradient's SDK say:

- "batch" (the SDK's default, `BATCH_HASHED`): a Merkle root over the facilitator's leaves
  (teeId, inputHash, outputHash, signature, timestamp) in one `batchSettle`; each record
  keeps its proof, which anyone checks with the relay's `verifyProof`;
- "individual": `settleIndividual`, which re-verifies the signature on chain (registry →
  0x900) and refuses a replay;
- "private": payment only, nothing settled (the record is NOT_REQUIRED from the start).

The settler is `TeeSettlement` (the same code that settles 0xF4's TEE records) with two
differences: a gateway answer was not emitted by a transaction, so instead of looking for
the event it checks the signature against the key the registry holds for the TEE; and the
mode is chosen per record. A `GatewaySettler` thread runs passes as answers arrive.
"""

from __future__ import annotations

import logging
import threading

from eth_account import Account
from web3 import Web3

from ogkit.chain.tee_registry_genesis import (
    GATEWAY_SETTLER_KEY,
    LLM_SETTLEMENT_RELAY_ADDRESS,
    TEE_REGISTRY_ADDRESS,
)
from ogkit.contracts import load
from ogkit.gateway.signing import GatewayRecord
from ogkit.inference.records import InferenceRecord
from ogkit.llm.engine import LLMEngine
from ogkit.settlement.tee import Settled, TeeSettlement
from ogkit.tee.attestation import verify_result_signature

log = logging.getLogger("ogkit.gateway")
DEFAULT_BATCH_SIZE = 64


class GatewaySettlement(TeeSettlement):
    def __init__(self, engine: LLMEngine, w3: Web3, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        super().__init__(
            engine,  # type: ignore[arg-type] - it reads .book and .enclave, as of any engine
            w3,
            LLM_SETTLEMENT_RELAY_ADDRESS,
            Account.from_key(GATEWAY_SETTLER_KEY),
            batch_size=batch_size,
        )
        self.registry = w3.eth.contract(address=TEE_REGISTRY_ADDRESS, abi=load("TEERegistry").abi)

    def pending(self) -> list[InferenceRecord]:
        return [r for r in self.engine.book.ready_for_tee() if isinstance(r, GatewayRecord)]

    def _check(self, record: InferenceRecord) -> str | None:
        """The registry must hold this TEE enabled, and its key must verify the signature."""
        signed = record.tee_signature
        assert signed is not None
        functions = self.registry.functions
        if not functions.isTEEEnabled(signed.tee_id).call():
            return "the TEE is not enabled in the registry"
        check = verify_result_signature(
            functions.getTEEPublicKey(signed.tee_id).call(),
            record.input_hash,
            record.output_hash,
            signed.timestamp,
            signed.signature,
        )
        return None if check.valid else f"signature does not verify ({check.reason})"

    def settle_pending(self) -> list[Settled]:
        ready, done = {"individual": [], "batch": []}, []
        for record in self.pending():
            refusal = self._check(record)
            if refusal is not None:
                done.append(Settled(record.inference_id, self._fail(record, refusal)))
            else:
                ready["individual" if record.settlement_type == "individual" else "batch"].append(
                    record
                )
        done += [Settled(r.inference_id, self._settle_individual(r)) for r in ready["individual"]]
        batch = ready["batch"]
        for start in range(0, len(batch), self.batch_size):
            done += self._settle_batch(batch[start : start + self.batch_size])
        return done


class GatewaySettler:
    """Runs `GatewaySettlement` passes in a daemon thread every `interval` seconds: what was
    answered in between settles together (one batch per pass)."""

    def __init__(self, settlement: GatewaySettlement, interval: float = 2.0) -> None:
        self.settlement = settlement
        self.interval = interval
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> GatewaySettler:
        self._thread = threading.Thread(target=self._loop, name="ogkit-gateway-settler")
        self._thread.daemon = True
        self._thread.start()
        return self

    def run_once(self) -> list[Settled]:
        try:
            done = self.settlement.settle_pending()
            self.last_error = None
            return done
        except Exception as exc:  # noqa: BLE001 - a node that went away: retried next pass
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("gateway settlement pass failed: %s", self.last_error)
            return []

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
