"""ZK mode's prover: proves recorded inferences in the background, never on the call path.

A ZK-mode call returns its output at once; the engine hands the record and the inference's
input and output arrays to this queue. One worker thread takes the jobs in order and, per job:

1. finds the model's EZKL artifacts by its CID (derived from the record's model hash);
2. proves the recorded inputs in a child process (`ogkit.zk.isolated`: ezkl holds the GIL);
3. verifies the proof off chain with ezkl, as a full node would (`record.zk_verified`);
4. checks the proof's public outputs, dequantised by ezkl's scale, equal the recorded outputs
   within the quantisation tolerance (one 2**-input_scale step per input element, at least
   two): a proof of some other result is no proof.

The record's `settlement` moves "pending" (queued) -> "proving" -> "proved" (with
`record.zk_proof` set) or "failed: <reason>". The worker never touches the chain; settling a
proved record is `ogkit.settlement.ZkSettlement`'s job.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ogkit.models.cid import cid_of_sha256
from ogkit.models.store import ModelStore

if TYPE_CHECKING:
    from ogkit.inference.engine import InferenceRecord
    from ogkit.zk import ZkArtifacts, ZkProof

log = logging.getLogger("ogkit.inference.prover")

QUEUED = "pending"
PROVING = "proving"
PROVED = "proved"
_IN_FLIGHT = (QUEUED, PROVING)


def no_setup_status(cid: str) -> str:
    return f"failed: model {cid} has no ZK setup (run `ogkit models zk-setup {cid}`)"


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
    """One background worker proving ZK records in submission order."""

    def __init__(
        self, store: ModelStore, on_status: Callable[[InferenceRecord], None] | None = None
    ) -> None:
        self.store = store
        self.on_status = on_status
        """Told of each status the worker sets, so the engine's waiters and services wake."""
        self._jobs: deque[ProofJob] = deque()
        self._records: dict[str, InferenceRecord] = {}
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
        with self._condition:
            record.settlement = QUEUED
            self._records[record.inference_id] = record
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
            record = self._records[inference_id]
            if not self._condition.wait_for(
                lambda: record.settlement not in _IN_FLIGHT, timeout=timeout
            ):
                raise TimeoutError(
                    f"inference {inference_id} is still {record.settlement!r} after {timeout} s"
                )
            return record

    def __contains__(self, inference_id: object) -> bool:
        """Was this inference ever handed to the queue?"""
        with self._condition:
            return inference_id in self._records

    def __len__(self) -> int:
        """Jobs not yet finished (queued or being proved)."""
        with self._condition:
            return sum(r.settlement in _IN_FLIGHT for r in self._records.values())

    def _work(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._jobs))
                job = self._jobs.popleft()
                job.record.settlement = PROVING
            try:
                status = self._prove(job)
            except Exception as exc:  # noqa: BLE001 - a job fails, the worker lives on
                log.exception("proving %s failed", job.record.inference_id)
                status = f"failed: {type(exc).__name__}: {exc}"
            with self._condition:
                job.record.settlement = status
                self._condition.notify_all()
            if self.on_status is not None:
                self.on_status(job.record)

    def _prove(self, job: ProofJob) -> str:
        from ogkit import zk
        from ogkit.zk.isolated import prove_isolated

        record = job.record
        cid = cid_of_sha256(record.model_hash)
        try:
            artifacts = zk.load(self.store, cid)
        except (zk.ZkError, LookupError):
            return no_setup_status(cid)
        try:
            proof = prove_isolated(artifacts, job.inputs)
        except zk.ZkError as exc:
            return f"failed: {exc}"
        record.zk_proof = proof
        record.zk_verified = zk.verify(artifacts, proof)
        if not record.zk_verified:
            return "failed: ezkl rejects the proof off chain"
        mismatch = output_mismatch(artifacts, proof, job.outputs, job.inputs)
        if mismatch is not None:
            return f"failed: {mismatch}"
        return PROVED
