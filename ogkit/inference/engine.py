"""The in-process inference node: resolves models, runs them once, records every result.

It is the `ModelBackend` (precompiles.host) the chain hands to the 0xF4 precompile.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ogkit.inference.cache import Outputs, ResultCache, input_key
from ogkit.inference.mocks import ModelMocks
from ogkit.inference.prover_queue import ProverQueue
from ogkit.models.onnx_runtime import OnnxModel
from ogkit.models.store import CorruptModel, ModelStore, StoredModel
from ogkit.tee.enclave import SignedResult, SimulatedEnclave
from precompiles.host import CallContext, ModelExecutionError, ModelSpec
from precompiles.inference.types import ModelInferenceMode

if TYPE_CHECKING:
    from ogkit.zk import ZkProof

log = logging.getLogger("ogkit.inference")


@dataclass
class InferenceRecord:
    """What the chain committed to for one inference; proofs settle against it later."""

    inference_id: str
    model_hash: bytes
    input_hash: bytes
    output_hash: bytes
    mode: ModelInferenceMode
    block_number: int
    settlement: str
    """"not required" (VANILLA) or "pending" (ZK, TEE: awaiting proof or settlement)."""
    tee_signature: SignedResult | None = None
    """TEE mode: the enclave's RSA-PSS signature over keccak256(input ‖ output ‖ time)."""
    settlement_tx: str | None = None
    """The transaction that settled it, once settled."""
    merkle_root: bytes | None = None
    merkle_proof: tuple[bytes, ...] = ()
    """Batch settlement: the batch root on chain and this record's proof against it."""

    zk_proof: ZkProof | None = None
    """ZK mode: the EZKL proof the prover queue made (settlement "proved" and later)."""
    zk_verified: bool | None = None
    """ZK mode: ezkl's off-chain verdict on `zk_proof`."""
    mocked: bool = False
    """The output came from a test's mock, not the model: never signed, proved or settled
    (settlement "mocked")."""

    @property
    def is_final(self) -> bool:
        return self.settlement not in PENDING_STATES


MOCKED = "mocked"
"""The settlement state of a mocked inference: final, and nothing to settle."""

PENDING_STATES = frozenset({"pending", "proving", "proved"})
"""Settlement states that still change; every other one ("not required", "settled",
"failed: …") is final."""


def _first_settlement(mode: ModelInferenceMode, mocked: bool) -> str:
    if mocked:
        return MOCKED
    return "not required" if mode is ModelInferenceMode.VANILLA else "pending"


class SettlementTimeout(TimeoutError):
    """An inference did not reach a final settlement state in time."""


def output_hash(outputs: Outputs) -> bytes:
    return input_key(b"", dict(outputs))


class InferenceEngine:
    def __init__(
        self,
        store: ModelStore | None = None,
        cache: ResultCache | None = None,
        enclave: SimulatedEnclave | None = None,
    ) -> None:
        self.store = store or ModelStore()
        self.cache = cache or ResultCache()
        self._enclave = enclave
        self.records: dict[str, InferenceRecord] = {}
        self.unsettled: dict[str, InferenceRecord] = {}
        """The records whose settlement can still change: what the settlement service looks
        at, so its work does not grow with every VANILLA inference ever made."""
        self.model_runs = 0
        """How many times a model really ran: replays and mocked answers do not add to it."""
        self.mocks = ModelMocks()
        """Mocked (model, input) pairs: answered without running the model, recorded as
        mocked (see `mock_output`)."""
        self._by_cid: dict[str, OnnxModel] = {}
        self._by_hash: dict[bytes, OnnxModel] = {}
        self._lock = threading.Lock()
        lock = threading.RLock()
        self.changed = threading.Condition(lock)
        """Notified when a record is made or its settlement changes: waiters block on it
        instead of sleeping."""
        self.work = threading.Condition(lock)
        """Notified only when there may be something to settle (an unsettled record made or
        changed): the settlement service waits on this one, so a VANILLA inference does
        not wake its thread."""
        self.on_settlement: list[Callable[[InferenceRecord], None]] = []
        """Called after a record's settlement changed (the node persists it)."""
        self._prover_queue: ProverQueue | None = None

    @property
    def prover_queue(self) -> ProverQueue:
        """Proves ZK-mode records in the background; its worker starts with the first one."""
        with self._lock:
            if self._prover_queue is None:
                self._prover_queue = ProverQueue(self.store, on_status=self._settlement_changed)
            return self._prover_queue

    @property
    def enclave(self) -> SimulatedEnclave:
        """The (simulated, dev-only) enclave that signs TEE-mode results; made on first use
        because an RSA-2048 key takes a moment."""
        if self._enclave is None:
            self._enclave = SimulatedEnclave()
        return self._enclave

    def resolve(self, model_id: str) -> ModelSpec:
        stored = self.store.resolve(model_id)
        return self._load(stored).spec

    def _load(self, stored: StoredModel) -> OnnxModel:
        model = self._by_cid.get(stored.cid)
        if model is not None:
            return model
        with self._lock:
            if stored.cid not in self._by_cid:
                try:
                    data = self.store.read(stored)
                except CorruptModel as exc:
                    raise ModelExecutionError(str(exc)) from exc
                model = OnnxModel(data, hashlib.sha256(data).digest())
                self._by_cid[stored.cid] = model
                self._by_hash[model.spec.model_hash] = model
            return self._by_cid[stored.cid]

    def infer(
        self,
        model: ModelSpec,
        mode: int,
        inputs: dict[str, np.ndarray],
        inference_id: str,
        context: CallContext,
    ) -> Outputs:
        key = input_key(model.model_hash, inputs)
        mocked = self.mocks.get(key)
        if mocked is not None:
            return mocked  # never cached: once the mock goes, the model answers again
        outputs = self.cache.get(key)
        if outputs is None:
            outputs = self._by_hash[model.model_hash].run(inputs)
            self.model_runs += 1
            self.cache.put(key, outputs)
        return outputs

    def record(
        self,
        model: ModelSpec,
        mode: int,
        inputs: dict[str, np.ndarray],
        outputs: Outputs,
        inference_id: str,
        context: CallContext,
    ) -> None:
        mode = ModelInferenceMode(mode)
        input_hash = input_key(model.model_hash, inputs)
        out_hash = output_hash(outputs)
        mock = self.mocks.get(input_hash)
        mocked = mock is not None and output_hash(mock) == out_hash
        if mode is ModelInferenceMode.ZK and not mocked:
            # A replay (eth_call, estimate, the mined tx) keeps its record and proof; one
            # whose proving failed (e.g. before `zk-setup`) is queued again.
            known = self.records.get(inference_id)
            if (
                known is not None
                and known.output_hash == out_hash
                and not known.settlement.startswith("failed")
            ):
                return
        signed = None
        if mode is ModelInferenceMode.TEE and not mocked:
            signed = self.enclave.sign_result(input_hash, out_hash, context.timestamp)
        record = InferenceRecord(
            inference_id=inference_id,
            model_hash=model.model_hash,
            input_hash=input_hash,
            output_hash=out_hash,
            mode=mode,
            block_number=context.block_number,
            settlement=_first_settlement(mode, mocked),
            tee_signature=signed,
            mocked=mocked,
        )
        with self.changed:
            self.records[inference_id] = record
            if record.is_final:
                self.unsettled.pop(inference_id, None)  # an id made again after a revert
            else:
                self.unsettled[inference_id] = record
                self.work.notify_all()
            self.changed.notify_all()
        if mode is ModelInferenceMode.ZK and not mocked:
            self.prover_queue.submit(record, inputs, outputs)

    def forget_after(self, block_number: int) -> int:
        """Drop the records of blocks after `block_number` (a snapshot revert removed them),
        so nothing settles them; returns how many went."""
        with self.changed:
            gone = [i for i, r in self.records.items() if r.block_number > block_number]
            for inference_id in gone:
                del self.records[inference_id]
                self.unsettled.pop(inference_id, None)
            if gone:
                self.changed.notify_all()
        return len(gone)

    def mock_output(
        self, model_id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> str:
        """Answer `outputs` whenever `model_id` gets exactly `inputs`, without running it.

        Values are converted with the model's dtypes and shapes as 0xF4 converts a
        contract's tensors. Returns the mock's key for `unmock`. Raises `ModelNotFound`
        for an unknown model and `MockError` for inputs or outputs that do not fit it.
        """
        return self.mocks.add(self.resolve(model_id), inputs, outputs)

    def unmock(self, key: str) -> bool:
        """Undo one `mock_output` (a mock it replaced answers again)."""
        return self.mocks.remove(key)

    def clear_mocks(self) -> int:
        """Remove every mock; returns how many (model, input) pairs were mocked."""
        return self.mocks.clear()

    def set_settlement(
        self, record: InferenceRecord, status: str, tx: str | None = None
    ) -> InferenceRecord:
        """The one way a settlement state changes, so waiters and the node's store see it."""
        with self.changed:
            record.settlement = status
            if tx is not None:
                record.settlement_tx = tx
        self._settlement_changed(record)
        return record

    def _settlement_changed(self, record: InferenceRecord) -> None:
        with self.changed:
            if record.is_final:
                self.unsettled.pop(record.inference_id, None)
            self.work.notify_all()
            self.changed.notify_all()
        for listener in list(self.on_settlement):
            listener(record)

    def wait_for_settlement(self, inference_id: str, timeout: float = 60.0) -> InferenceRecord:
        """Block until the record is final (settled, failed or not required).

        Raises `KeyError` if no committed transaction made the record within `timeout`, and
        `SettlementTimeout` (with the last state) if it stays pending.
        """
        inference_id = inference_id.lower().removeprefix("0x")  # as ids print: 0x-hex or hex
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                record = self.records.get(inference_id)
                if record is not None and record.is_final:
                    return record
                left = deadline - time.monotonic()
                if left <= 0:
                    if record is None:
                        raise KeyError(f"no inference record {inference_id}")
                    raise SettlementTimeout(
                        f"inference {inference_id} still {record.settlement!r} after {timeout} s"
                    )
                self.changed.wait(left)


_engines: dict[Path, InferenceEngine] = {}


def default_engine(store_dir: Path | str | None = None) -> InferenceEngine:
    """One engine per store directory per process, so every chain shares its caches."""
    store = ModelStore(store_dir)
    engine = _engines.get(store.root)
    if engine is None:
        engine = _engines[store.root] = InferenceEngine(store)
    return engine
