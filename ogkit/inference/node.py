"""`InferenceNode`: the inference-node role of one chain, as one object every host makes alike.

It owns the services and their life cycle: the model engine and the LLM engine (0xF4's two
backends), the one result cache, the one enclave key, the one record book, the prover queue
(the model engine's: `provers` proofs at once, started by the first ZK record) and the
settlement service (HACA's full-node role, started by the host once it has a Web3 to the
chain):

    node = InferenceNode(store)                       # Ape provider, new_tester, `ogkit node`
    chain = build_chain(node.engine, llm_backend=node.llm_engine, ...)
    node.start_settlement(w3, batch_size=..., chain_lock=..., idle_seconds=...)
    ...
    node.stop()
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ogkit.inference.book import DEFAULT_MAX_FINAL, RecordBook
from ogkit.inference.cache import ResultCache
from ogkit.inference.enclave_slot import EnclaveSlot
from ogkit.inference.engine import InferenceEngine
from ogkit.inference.prover_queue import ProverQueue
from ogkit.inference.records import InferenceRecord
from ogkit.llm.engine import LLMEngine
from ogkit.llm.http_backend import OpenAIHttpBackend
from ogkit.models.store import ModelStore
from ogkit.tee.enclave import SimulatedEnclave

if TYPE_CHECKING:
    from web3 import Web3

    from ogkit.settlement import SettlementService

FROM_ENV = "env"
"""`llm_http=FROM_ENV`: the OpenAI-compatible endpoint `OGKIT_LLM_URL` names, if any."""


class InferenceNode:
    """Models and LLMs of one chain share its cache, enclave key and record book, so a TEE
    answer of either settles through the same settlement service."""

    def __init__(
        self,
        store: ModelStore | Path | str | None = None,
        *,
        llm_http: OpenAIHttpBackend | str | None = FROM_ENV,
        enclave: SimulatedEnclave | None = None,
        max_final_records: int = DEFAULT_MAX_FINAL,
        cache_entries: int = 4096,
        provers: int | None = None,
    ) -> None:
        self.store = store if isinstance(store, ModelStore) else ModelStore(store)
        self.book = RecordBook(max_final_records)
        self.cache = ResultCache(cache_entries)
        self.enclave_slot = EnclaveSlot(enclave)
        self.engine = InferenceEngine(self.store, self.cache, self.enclave_slot, self.book)
        http = OpenAIHttpBackend.from_env() if llm_http == FROM_ENV else llm_http
        assert http is None or isinstance(http, OpenAIHttpBackend)
        self.llm_engine = LLMEngine(
            self.store, http, self.enclave_slot, cache=self.cache, book=self.book
        )
        self.settlement: SettlementService | None = None
        """The running settlement service, once a host started it."""
        self._lock = threading.Lock()
        if provers is not None:
            self.provers = provers

    @property
    def enclave(self) -> SimulatedEnclave:
        """The node's one (simulated, dev-only) enclave; made when first needed."""
        return self.enclave_slot.get()

    @property
    def prover_queue(self) -> ProverQueue:
        return self.engine.prover_queue

    @property
    def provers(self) -> int:
        """ZK proofs made at once (default: one per core this process may use)."""
        return self.prover_queue.provers

    @provers.setter
    def provers(self, count: int) -> None:
        self.prover_queue.provers = count

    def stop_provers(self) -> None:
        """Kill the proofs being made, fail the records left unproved (as a restart would:
        ZK inputs are not kept) and end the prover's workers; new ZK work starts them again."""
        if self.engine._prover_queue is not None:
            self.engine._prover_queue.stop()

    # --- settlement -------------------------------------------------------------------

    def attach_settlement(self, w3: Web3, **options: Any) -> SettlementService:
        """Make the node's settlement service (not started) against the chain `w3` reaches;
        `options` are `SettlementService`'s (batch_size, receipt_timeout, chain_lock,
        idle_seconds, ...). One at a time: a service made earlier (e.g. of a node that
        closed) is stopped."""
        from ogkit.settlement import SettlementService

        service = SettlementService(self.engine, w3, **options)
        with self._lock:
            previous, self.settlement = self.settlement, service
        if previous is not None:
            previous.stop()
        return service

    def start_settlement(self, w3: Web3 | None = None, **options: Any) -> SettlementService:
        """Start HACA's full-node role: the attached service, or a new one against `w3`."""
        if w3 is not None or self.settlement is None:
            if w3 is None:
                raise ValueError("no settlement service attached: give the chain's Web3")
            self.attach_settlement(w3, **options)
        assert self.settlement is not None
        return self.settlement.start()

    def stop_settlement(self, service: SettlementService | None = None) -> None:
        """Stop the running service (only if it is `service`, when given)."""
        with self._lock:
            running = self.settlement
            if running is None or (service is not None and running is not service):
                return
            self.settlement = None
        running.stop()

    def wake(self) -> None:
        """Something may be ready to settle now (a new block): wake the service."""
        self.book.new_block()

    def stop(self) -> None:
        """Stop the services this node started: settlement, then the prover's workers."""
        self.stop_settlement()
        self.stop_provers()

    # --- records ----------------------------------------------------------------------

    def wait_for_settlement(
        self, inference_id: str | bytes, timeout: float = 60.0
    ) -> InferenceRecord:
        """The record once final (settled, failed, not required or mocked)."""
        return self.book.wait_for_settlement(inference_id, timeout)

    def forget_after(self, block_number: int) -> int:
        """Records follow the chain back (snapshot revert, reset): see `RecordBook`."""
        return self.book.forget_after(block_number)


_nodes: dict[tuple[Path, str | None], InferenceNode] = {}
_nodes_lock = threading.Lock()


def default_inference_node(store_dir: Path | str | None = None) -> InferenceNode:
    """One node per store (and LLM endpoint) per process, so chains opened one after the
    other on a store (an `ogkit node` restarted in-process) find its records and caches."""
    store = ModelStore(store_dir)
    http = OpenAIHttpBackend.from_env()
    key = (store.root, http.base_url if http else None)
    with _nodes_lock:
        node = _nodes.get(key)
        if node is None:
            node = _nodes[key] = InferenceNode(store, llm_http=http)
        return node
