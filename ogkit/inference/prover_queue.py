"""ZK mode's prover: proves recorded inferences in the background, never on the call path.

A ZK-mode call returns its output at once; the engine hands the record and the inference's
input and output arrays to this queue. Its workers (`provers` threads, by default one per core
this process may run on) take the jobs in submission order, each proving one at a time, so
proofs run side by side; per job a worker:

1. finds the model's EZKL artifacts by its CID (derived from the record's model hash);
2. proves the recorded inputs in its own long-lived child process (`ogkit.zk.worker`: ezkl
   holds the GIL, and a child started per proof would spend ~15x the proof's time starting);
3. verifies the proof off chain with ezkl, as a full node would (`record.zk_verified`);
4. checks the proof's public outputs, dequantised by ezkl's scale, equal the recorded outputs
   within the quantisation tolerance (one 2**-input_scale step per input element, at least
   two): a proof of some other result is no proof.

The record moves through its book's transitions: PENDING (queued) -> PROVING -> PROVED (with
`record.zk_proof` set) or FAILED, once: one worker takes each job. A record a revert dropped
from the book (`RecordBook.forget_after`) before its turn is not proved. `stop()` kills the
children, fails the records it cuts short and joins the workers; new work starts them
again. The workers never touch the chain; settling a proved record is
`ogkit.settlement.ZkSettlement`'s job.
"""

from __future__ import annotations

import logging
import os
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
    from ogkit.zk.isolated import Children
    from ogkit.zk.worker import ProverProcess

log = logging.getLogger("ogkit.inference.prover")

QUEUED = SettlementState.PENDING.value
PROVING = SettlementState.PROVING.value
PROVED = SettlementState.PROVED.value
_IN_FLIGHT = frozenset({SettlementState.PENDING, SettlementState.PROVING})


def default_provers() -> int:
    """Proofs to run at once: the cores this process may run on (each proof is one child
    process, and a proof keeps about one core busy)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


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
    """Background workers proving ZK records, `provers` at once, taken in submission order;
    `book` is the inference node's record book (a queue made alone keeps its own)."""

    def __init__(
        self, store: ModelStore, book: RecordBook | None = None, provers: int | None = None
    ) -> None:
        self.store = store
        self.book = book if book is not None else RecordBook()
        self._provers = _checked(provers if provers is not None else default_provers())
        self._jobs: deque[ProofJob] = deque()
        self._records: dict[bytes, InferenceRecord] = {}
        self._condition = threading.Condition()
        self._workers: set[threading.Thread] = set()
        self._busy = 0
        self._generation = 0
        from ogkit.zk.isolated import Children  # ezkl's side is imported once needed

        self.children: Children = Children()
        """The prover child processes (one per worker that has proved or is proving)."""
        self.persistent = True
        """Prove in each worker's long-lived child (`ogkit.zk.worker`); False: a new child per
        proof (`prove_isolated`, the slower earlier way, kept for comparison in bench/zk.py)."""

    @property
    def provers(self) -> int:
        """How many proofs run at once; may be changed while the queue runs (extra workers
        finish their job and go)."""
        return self._provers

    @provers.setter
    def provers(self, count: int) -> None:
        with self._condition:
            self._provers = _checked(count)
            self._start_workers()
            self._condition.notify_all()

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
            self._start_workers()
            self._condition.notify_all()

    def wait(self, inference_id: str, timeout: float | None = None) -> InferenceRecord:
        """Block until the record is proved or failed; `TimeoutError` if that takes longer
        than `timeout` seconds, `KeyError` if it was never queued or a revert dropped it
        before it was proved."""
        key = record_key(inference_id)
        with self._condition:
            record = self._records.get(key)
        if record is None:
            raise KeyError(
                f"inference {inference_id} is not queued: never submitted, or dropped by a "
                "revert before its proof"
            )
        if not self.book.wait_until(
            record,
            lambda r: r.state not in _IN_FLIGHT or self._records.get(key) is not r,
            timeout,
        ):
            raise TimeoutError(
                f"inference {inference_id} is still {record.settlement!r} after {timeout} s"
            )
        if record.state in _IN_FLIGHT:
            raise KeyError(f"inference {inference_id} was dropped by a revert before its proof")
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

    @property
    def busy(self) -> int:
        """Jobs being proved right now."""
        with self._condition:
            return self._busy

    def stop(self, timeout: float = 30.0) -> None:
        """End the workers: kill the running proofs and fail their records and the queued
        ones (`STOPPED`), then join the threads. Work submitted later starts new workers."""
        with self._condition:
            self._generation += 1
            left, workers = list(self._jobs), list(self._workers)
            self._jobs.clear()
            self._workers.clear()
            self._condition.notify_all()
        from ogkit.zk.isolated import STOPPED

        self.children.close()
        for worker in workers:
            worker.join(timeout)
        for job in left:
            if self._current(job.record):
                self._settle(job.record, STOPPED)
            else:
                self._drop(job.record)
        with self._condition:
            self.children.reopen()
            self._start_workers()

    # --- the workers ------------------------------------------------------------------

    def _start_workers(self) -> None:
        """(Under the lock.) One more worker while jobs outnumber the busy ones."""
        while len(self._workers) < min(self._provers, len(self._jobs) + self._busy):
            worker = threading.Thread(
                target=self._work,
                args=(self._generation,),
                name=f"ogkit-zk-prover-{len(self._workers) + 1}",
                daemon=True,
            )
            self._workers.add(worker)
            worker.start()

    def _next(self, generation: int) -> ProofJob | None:
        """The next job still in the book, or None when this worker should go."""
        me = threading.current_thread()
        with self._condition:
            while True:
                self._condition.wait_for(
                    lambda: (
                        bool(self._jobs)
                        or generation != self._generation
                        or len(self._workers) > self._provers
                    )
                )
                if generation != self._generation or len(self._workers) > self._provers:
                    self._workers.discard(me)
                    return None
                job = self._jobs.popleft()
                if self._current(job.record):
                    self._busy += 1
                    return job
                self._drop(job.record)

    def _work(self, generation: int) -> None:
        from ogkit.zk.worker import ProverProcess

        prover = ProverProcess(self.children)  # its child starts with the first job
        try:
            while (job := self._next(generation)) is not None:
                try:
                    self._run(job.record, job, prover)
                except IllegalTransition as exc:  # moved on meanwhile (e.g. replaced by hand)
                    log.warning("proving %s: %s", job.record.inference_id, exc)
                finally:
                    with self._condition:
                        self._busy -= 1
        finally:
            prover.close()

    def _current(self, record: InferenceRecord) -> bool:
        """Is the record still the book's? (A revert drops it: then it is not proved.)"""
        return self.book.get(record.key) is record

    def _drop(self, record: InferenceRecord) -> None:
        """Forget a job whose record left the book; wake whoever waits on it."""
        with self._condition:
            if self._records.get(record.key) is record:
                del self._records[record.key]
        with self.book.changed:
            self.book.changed.notify_all()

    def _settle(self, record: InferenceRecord, failure: str | None) -> None:
        try:
            if failure is None:
                self.book.proved(record, record.zk_proof, bool(record.zk_verified))
            else:
                self.book.failed(record, failure)
        except IllegalTransition as exc:
            log.warning("proving %s: %s", record.inference_id, exc)

    def _run(self, record: InferenceRecord, job: ProofJob, prover: ProverProcess) -> None:
        self.book.proving(record)
        try:
            failure = self._prove(job, prover)
        except Exception as exc:  # noqa: BLE001 - a job fails, the worker lives on
            log.exception("proving %s failed", record.inference_id)
            failure = f"{type(exc).__name__}: {exc}"
        self._settle(record, failure)

    def _prove(self, job: ProofJob, prover: ProverProcess) -> str | None:
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
            if self.persistent:
                proof = prover.prove(artifacts, job.inputs)
            else:
                proof = prove_isolated(artifacts, job.inputs, children=self.children)
        except zk.ZkError as exc:
            return str(exc)
        record.zk_proof = proof
        record.zk_verified = zk.verify(artifacts, proof)
        if not record.zk_verified:
            return "ezkl rejects the proof off chain"
        return output_mismatch(artifacts, proof, job.outputs, job.inputs)


def _checked(provers: int) -> int:
    if isinstance(provers, bool) or not isinstance(provers, int) or provers < 1:
        raise ValueError(f"provers must be a whole number >= 1, not {provers!r}")
    return provers
