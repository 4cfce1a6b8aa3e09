"""The in-process inference node: resolves models, runs them once, records every result.

It is the `ModelBackend` (precompiles.host) the chain hands to the 0xF4 precompile.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ogkit.inference.book import RecordBook
from ogkit.inference.cache import Outputs, ResultCache, input_key
from ogkit.inference.enclave_slot import EnclaveSlot
from ogkit.inference.mocks import ModelMocks
from ogkit.inference.prover_queue import ProverQueue
from ogkit.inference.records import (
    MOCKED,
    PENDING_STATES,
    InferenceRecord,
    RecordView,
    SettlementState,
    SettlementTimeout,
    first_state,
)
from ogkit.models.loop_bound import bound_loops
from ogkit.models.manifest import ensure_manifest
from ogkit.models.meter import CostMeter
from ogkit.models.onnx_runtime import OnnxModel
from ogkit.models.store import CorruptModel, ModelStore, StoredModel
from ogkit.tee.enclave import SimulatedEnclave
from precompiles.host import CallContext, ModelExecutionError, ModelSpec
from precompiles.inference.types import ModelInferenceMode

__all__ = [
    "MOCKED",
    "PENDING_STATES",
    "InferenceEngine",
    "InferenceRecord",
    "SettlementTimeout",
    "default_engine",
]
log = logging.getLogger("ogkit.inference")


def output_hash(outputs: Outputs) -> bytes:
    return input_key(b"", dict(outputs))


class InferenceEngine:
    def __init__(
        self,
        store: ModelStore | None = None,
        cache: ResultCache | None = None,
        enclave: SimulatedEnclave | EnclaveSlot | None = None,
        book: RecordBook | None = None,
    ) -> None:
        self.store = store or ModelStore()
        self.cache = cache if cache is not None else ResultCache()
        self.enclave_slot = EnclaveSlot.of(enclave)
        """Shared with the node's LLM engine: one TEE key per inference node."""
        self.book = book if book is not None else RecordBook()
        """Every record this engine made (shared with the node's LLM engine and settlers)."""
        self.model_runs = 0
        """How many times a model really ran: replays and mocked answers do not add to it."""
        self.mocks = ModelMocks()
        """Mocked (model, input) pairs: answered without running the model, recorded as
        mocked (see `mock_output`)."""
        self._by_cid: dict[str, OnnxModel] = {}
        self._by_hash: dict[bytes, OnnxModel] = {}
        self._lock = threading.Lock()
        self._prover_queue: ProverQueue | None = None

    @property
    def records(self) -> RecordView:
        return self.book.records

    @property
    def unsettled(self) -> RecordView:
        """The records whose settlement can still change (the settlement service's work)."""
        return self.book.unsettled

    @property
    def changed(self) -> threading.Condition:
        """The book's condition: notified when a record is made or its settlement changes."""
        return self.book.changed

    @property
    def work(self) -> threading.Condition:
        """The book's condition for the settlement service: notified only when there may be
        something to settle."""
        return self.book.work

    @property
    def on_settlement(self) -> list[Callable[[InferenceRecord], None]]:
        """Called after a record's settlement changed (the node persists it)."""
        return self.book.listeners

    @property
    def prover_queue(self) -> ProverQueue:
        """Proves ZK-mode records in the background; its workers start with the first ones."""
        with self._lock:
            if self._prover_queue is None:
                self._prover_queue = ProverQueue(self.store, book=self.book)
            return self._prover_queue

    @property
    def enclave(self) -> SimulatedEnclave:
        """The (simulated, dev-only) enclave that signs TEE-mode results; made on first use
        because an RSA-2048 key takes a moment."""
        return self.enclave_slot.get()

    @property
    def _enclave(self) -> SimulatedEnclave | None:
        return self.enclave_slot.current

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
                manifest = ensure_manifest(self.store.root, stored.cid, data)
                if manifest.onnx and not manifest.admitted:  # loading may be the harm
                    raise ModelExecutionError(f"the model is refused: {manifest.reason}")
                bound = manifest.max_loop_iterations
                model = OnnxModel(
                    bound_loops(data, bound) if bound else data,
                    hashlib.sha256(data).digest(),
                    CostMeter(data, bound),
                    loop_bound=bound,
                )
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
        if mode == ModelInferenceMode.TEE:
            self.enclave_slot.require_attestable()  # a result nothing could ever settle
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
            known = self.book.get(inference_id)
            if (
                known is not None
                and known.output_hash == out_hash
                and known.state is not SettlementState.FAILED
            ):
                return
        signed = None
        if mode is ModelInferenceMode.TEE and not mocked:
            signed = self.enclave.sign_result(input_hash, out_hash, context.timestamp)
        record = self.book.put(
            InferenceRecord(
                inference_id=inference_id,
                model_hash=model.model_hash,
                input_hash=input_hash,
                output_hash=out_hash,
                mode=mode,
                block_number=context.block_number,
                state=first_state(mode, mocked),
                tee_signature=signed,
                mocked=mocked,
                caller=context.sender,
            )
        )
        if mode is ModelInferenceMode.ZK and not mocked:
            self.prover_queue.submit(record, inputs, outputs)

    def forget_after(self, block_number: int) -> int:
        """Drop the records of blocks after `block_number` (a snapshot revert removed them),
        so nothing settles them; returns how many went."""
        return self.book.forget_after(block_number)

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

    def wait_for_settlement(
        self, inference_id: str | bytes, timeout: float = 60.0
    ) -> InferenceRecord:
        """Block until the record is final (settled, failed or not required).

        Raises `KeyError` if no committed transaction made the record within `timeout`, and
        `SettlementTimeout` (with the last state) if it stays pending.
        """
        return self.book.wait_for_settlement(inference_id, timeout)


def default_engine(store_dir: Path | str | None = None) -> InferenceEngine:
    """One engine per store directory per process, so every chain shares its caches: the
    model engine of `default_inference_node`."""
    from ogkit.inference.node import default_inference_node

    return default_inference_node(store_dir).engine
