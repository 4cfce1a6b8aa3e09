"""ZK mode's prover: proves recorded inferences in the background, never on the call path.

A ZK-mode call returns its output at once; the engine hands the record and the inference's
input and output arrays to this queue. One worker thread takes the jobs in order and, per job:

1. finds the model's EZKL artifacts by its CID (derived from the record's model hash);
2. proves the recorded inputs in a child process (`ogkit.zk.isolated`: ezkl holds the GIL);
3. verifies the proof off chain with ezkl, as a full node would (`record.zk_verified`);
4. checks the proof's public outputs, dequantised by ezkl's scale, equal the recorded outputs
   within the quantisation tolerance (one 2**-input_scale step per input element, at least
   two): a proof of some other result is no proof.

The record moves through its book's transitions: PENDING (queued) -> PROVING -> PROVED (with
`record.zk_proof` set) or FAILED. The worker never touches the chain; settling a proved record
is `ogkit.settlement.ZkSettlement`'s job.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ogkit.inference.book import RecordBook
from ogkit.inference.records import (
    IllegalTransition,
    InferenceRecord,
    SettlementState,
    record_key,
)
from ogkit.models.cid import cid_of_sha256
from ogkit.models.store import ModelStore

if TYPE_CHECKING:
    from ogkit.zk import ZkArtifacts, ZkProof

log = logging.getLogger("ogkit.inference.prover")

QUEUED = SettlementState.PENDING.value
PROVING = SettlementState.PROVING.value
PROVED = SettlementState.PROVED.value
_IN_FLIGHT = frozenset({SettlementState.PENDING, SettlementState.PROVING})


def no_setup_reason(cid: str) -> str:
    return f"model {cid} has no ZK setup (run `ogkit models zk-setup {cid}`)"


def no_setup_status(cid: str) -> str:
    """The settlement text of a ZK record whose model was never set up for proving."""
    return f"failed: {no_setup_reason(cid)}"


@dataclass(frozen=True)
class ProofJob:
    record: InferenceRecord
    inputs: dict[str, np.ndarray]
    outputs: list[tuple[str, np.ndarray]]


def output_mismatch(
    artifacts: ZkArtifacts,
    proof: ZkProof,
    outputs: list[tuple[str, np.ndarray]],
    inputs: dict[str, np.ndarray] | None = None,
) -> str | None:
    """Why the proof's public outputs are not the recorded ones, or None if they agree.

    The circuit computes on inputs rounded to 2**-input_scale, and each rounding error can
    reach an output through the model, so "agree" means within one step per input element
    (at least two steps). A heuristic bound, not a proof of the model's sensitivity: it is
    exact for a sum of the inputs, and what a tampered output is tested against."""
    step = 2.0 ** -artifacts.settings["run_args"]["input_scale"]
    elements = sum(int(np.asarray(v).size) for v in (inputs or {}).values())
    tolerance = step * max(2, elements)
    for name, recorded in outputs:
        proved = proof.outputs.get(name)
        if proved is None:
            return f"the proof has no public output {name!r}"
        expected = np.asarray(recorded, dtype=np.float64)
        if proved.shape != expected.shape:
            return f"proved output {name!r} has shape {proved.shape}, recorded {expected.shape}"
        error = float(np.max(np.abs(proved - expected), initial=0.0))
        if not error <= tolerance:  # also catches NaN
            return (
                f"proved output {name!r} differs from the recorded output by {error:.3g}, "
                f"more than the quantisation tolerance ({tolerance:.3g})"
            )
    return None


class ProverQueue:
    """One background worker proving ZK records in submission order; `book` is the
    inference node's record book (a queue made alone keeps its own)."""

    def __init__(self, store: ModelStore, book: RecordBook | None = None) -> None:
        self.store = store
        self.book = book if book is not None else RecordBook()
        self._jobs: deque[ProofJob] = deque()
        self._records: dict[bytes, InferenceRecord] = {}
        self._condition = threading.Condition()
        self._worker: threading.Thread | None = None

    def submit(
        self,
        record: InferenceRecord,
        inputs: Mapping[str, np.ndarray],
        outputs: list[tuple[str, np.ndarray]],
    ) -> None:
        """Queue a ZK record for proving; returns at once."""
        job = ProofJob(
            record,
            {name: np.array(value, copy=True) for name, value in inputs.items()},
            [(name, np.array(value, copy=True)) for name, value in outputs],
        )
        if self.book.get(record.key) is not record:
            self.book.put(record)
        self.book.queued(record)
        with self._condition:
            self._records[record.key] = record
            self._jobs.append(job)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="ogkit-zk-prover", daemon=True
                )
                self._worker.start()
            self._condition.notify_all()

    def wait(self, inference_id: str, timeout: float | None = None) -> InferenceRecord:
        """Block until the record is proved or failed; `TimeoutError` if that takes longer
        than `timeout` seconds, `KeyError` if it was never queued."""
        with self._condition:
            record = self._records[record_key(inference_id)]
        if not self.book.wait_until(record, lambda r: r.state not in _IN_FLIGHT, timeout):
            raise TimeoutError(
                f"inference {inference_id} is still {record.settlement!r} after {timeout} s"
            )
        return record

    def __contains__(self, inference_id: object) -> bool:
        """Was this inference ever handed to the queue?"""
        if not isinstance(inference_id, str | bytes):
            return False
        with self._condition:
            return record_key(inference_id) in self._records

    def __len__(self) -> int:
        """Jobs not yet finished (queued or being proved)."""
        with self._condition:
            return sum(r.state in _IN_FLIGHT for r in self._records.values())

    def _work(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._jobs))
                job = self._jobs.popleft()
            try:
                self._run(job.record, job)
            except IllegalTransition as exc:  # moved on meanwhile (e.g. replaced by hand)
                log.warning("proving %s: %s", job.record.inference_id, exc)

    def _run(self, record: InferenceRecord, job: ProofJob) -> None:
        self.book.proving(record)
        try:
            failure = self._prove(job)
        except Exception as exc:  # noqa: BLE001 - a job fails, the worker lives on
            log.exception("proving %s failed", record.inference_id)
            failure = f"{type(exc).__name__}: {exc}"
        if failure is None:
            self.book.proved(record, record.zk_proof, bool(record.zk_verified))
        else:
            self.book.failed(record, failure)

    def _prove(self, job: ProofJob) -> str | None:
        """Prove and check one job; the reason it failed, or None once proved."""
        from ogkit import zk
        from ogkit.zk.isolated import prove_isolated

        record = job.record
        cid = cid_of_sha256(record.model_hash)
        try:
            artifacts = zk.load(self.store, cid)
        except (zk.ZkError, LookupError):
            return no_setup_reason(cid)
        try:
            proof = prove_isolated(artifacts, job.inputs)
        except zk.ZkError as exc:
            return str(exc)
        record.zk_proof = proof
        record.zk_verified = zk.verify(artifacts, proof)
        if not record.zk_verified:
            return "ezkl rejects the proof off chain"
        return output_mismatch(artifacts, proof, job.outputs, job.inputs)
