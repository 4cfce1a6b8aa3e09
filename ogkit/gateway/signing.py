"""Every gateway answer signed by the enclave, exactly as OpenGradient's TEE gateway signs,
and kept as a TEE LLM record in the record book.

The request hash is keccak256 of the request's canonical form and the output hash keccak256
of the reply text (or its tool calls), `ogkit.llm.canonical`; the enclave signs
keccak256(requestHash ‖ outputHash ‖ uint256 timestamp) with RSA-PSS. The record keeps the
same fields `settleIndividual` and a Merkle batch leaf take, keyed by the job id the
response's `X-Settlement-Job-ID` names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ogkit.gateway.generation import Outcome
from ogkit.gateway.lookup import SignatureIndex
from ogkit.gateway.requests import GatewayRequest
from ogkit.inference.book import RecordBook
from ogkit.inference.enclave_slot import EnclaveSlot
from ogkit.inference.records import SettlementState
from ogkit.llm import canonical
from ogkit.llm.engine import LLMRecord, TeeResponse
from precompiles.host import LLMSpec
from precompiles.inference.llm_types import LLMInferenceMode


@dataclass(kw_only=True)
class GatewayRecord(LLMRecord):
    """A gateway answer's record: no block made it (`block_number` 0), the client chose how
    it settles (`settlement_type`: batch, individual or private: payment only)."""

    settlement_type: str = "batch"
    endpoint: str = ""
    payment: dict[str, str] | None = None
    """The x402 payment that paid for it ({network, tx, amount, payer, scheme}: `tx` on the
    payment chain); None when the gateway is free."""


class ResponseSigner:
    def __init__(
        self, enclave: EnclaveSlot, book: RecordBook, clock: Callable[[], float] = time.time
    ) -> None:
        self.enclave = enclave
        self.book = book
        self.clock = clock
        self.index = SignatureIndex(book.max_final)
        """Kept records by signature (`GET /v1/settlements?tee_signature=`), as bounded as
        the book."""

    def sign(
        self, job_id: str, request: GatewayRequest, spec: LLMSpec, outcome: Outcome, path: str
    ) -> GatewayRecord:
        """Sign the answer now; its record (pending settlement, unless private) goes into the
        book with `keep`, once the payment settled: an unpaid answer is never settled."""
        request_hash = canonical.request_hash(request.canonical)
        output_hash = canonical.output_hash(outcome.content, outcome.tool_calls)
        timestamp = int(self.clock())
        signed = self.enclave.get().sign_result(request_hash, output_hash, timestamp)
        tee = TeeResponse.of(signed)
        private = request.settlement_type == "private"
        return GatewayRecord(
            inference_id=job_id,
            model_id=spec.model_id,
            model_hash=spec.model_hash,
            backend=spec.backend,
            input_hash=request_hash,
            output_hash=output_hash,
            mode=LLMInferenceMode.TEE,
            block_number=0,
            state=SettlementState.NOT_REQUIRED if private else SettlementState.PENDING,
            tee_signature=signed,
            tee=tee,
            settlement_type=request.settlement_type,
            endpoint=path,
        )

    def keep(self, record: GatewayRecord) -> None:
        self.book.put(record)
        assert record.tee_signature is not None
        self.index.add(record.tee_signature.signature, record.inference_id)

    def by_signature(self, signature: bytes) -> GatewayRecord | None:
        """The kept record that carries exactly this signature, if the book still holds it."""
        job = self.index.job(signature)
        record = self.book.get(job) if job is not None else None
        if not isinstance(record, GatewayRecord) or record.tee_signature is None:
            return None
        return record if record.tee_signature.signature == signature else None
