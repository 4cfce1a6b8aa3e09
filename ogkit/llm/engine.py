"""The in-process LLM node: 0xF4's `LLMBackend`, like `InferenceEngine` is for ONNX models.

Model ids that name an LLM bundle in the store run locally (`OnnxCausalLM`); any other id
goes to the OpenAI-compatible endpoint when one is configured. Every result is cached by
(model hash, request, seed) so a replay (eth_call, gas estimation, the transaction, a
re-executed block) never asks the model again — `model_runs` counts the real runs — and a
record is kept for every call a transaction made. TEE mode signs the record the way
OpenGradient's TEE gateway signs a response (tee_request_hash, tee_output_hash,
tee_timestamp, tee_id, tee_signature), with the node's simulated enclave.

An inference node (`ogkit.inference.node`) hands this engine the model engine's result
cache, enclave and record book: one TEE key per node, and a TEE answer's record settles
through `InferenceSettlementRelay` like a model's (its request hash is the input hash).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from ogkit.inference.book import RecordBook
from ogkit.inference.cache import ResultCache
from ogkit.inference.enclave_slot import EnclaveSlot
from ogkit.inference.records import InferenceRecord, RecordView, SettlementState
from ogkit.llm import chat_template
from ogkit.llm.bundle import LLMBundle, read_bundle, read_part
from ogkit.llm.http_backend import OpenAIHttpBackend
from ogkit.llm.onnx_lm import OnnxCausalLM
from ogkit.llm.openai_format import canonical_json, output_hash, request_body, request_hash
from ogkit.models.store import ModelStore
from ogkit.tee.enclave import SignedResult, SimulatedEnclave
from precompiles.host import (
    CallContext,
    LLMRequest,
    LLMResult,
    LLMSpec,
    ModelExecutionError,
    ModelNotFound,
)
from precompiles.inference.llm_types import ChatMessage, LLMChatRequest, LLMInferenceMode


@dataclass(frozen=True)
class TeeResponse:
    """The gateway's signed fields, as its HTTP response carries them."""

    tee_request_hash: str
    tee_output_hash: str
    tee_timestamp: int
    tee_id: str
    tee_signature: str
    """base64 RSA-PSS over keccak256(requestHash ‖ outputHash ‖ uint256 timestamp)."""
    signed: SignedResult

    @classmethod
    def of(cls, signed: SignedResult) -> TeeResponse:
        """The response fields of an enclave signature (0xF4's TEE mode and the gateway)."""
        return cls(
            tee_request_hash=signed.input_hash.hex(),
            tee_output_hash=signed.output_hash.hex(),
            tee_timestamp=signed.timestamp,
            tee_id="0x" + signed.tee_id.hex(),
            tee_signature=base64.b64encode(signed.signature).decode(),
            signed=signed,
        )


@dataclass(kw_only=True)
class LLMRecord(InferenceRecord):
    """An LLM call's record in the node's book: `input_hash` is the gateway's request hash,
    `mode` an `LLMInferenceMode`; a TEE answer is PENDING until the settlement service
    settles its signature (`tee_signature`, the same as `tee.signed`)."""

    model_id: str = ""
    backend: str = ""
    tee: TeeResponse | None = None

    @property
    def request_hash(self) -> bytes:
        return self.input_hash


class LLMEngine:
    def __init__(
        self,
        store: ModelStore | None = None,
        http: OpenAIHttpBackend | None = None,
        enclave: SimulatedEnclave | EnclaveSlot | None = None,
        max_cached: int = 1024,
        *,
        cache: ResultCache | None = None,
        book: RecordBook | None = None,
    ) -> None:
        self.store = store or ModelStore()
        self.http = http
        self.enclave_slot = EnclaveSlot.of(enclave)
        self.book = book if book is not None else RecordBook()
        self.model_runs = 0
        """How many times a model (local or remote) was really asked: replays add nothing."""
        self.cache = cache if cache is not None else ResultCache(max_cached)
        self._local: dict[str, tuple[LLMBundle, OnnxCausalLM]] = {}
        self._by_hash: dict[bytes, tuple[LLMBundle, OnnxCausalLM]] = {}
        self._lock = threading.Lock()

    @property
    def enclave(self) -> SimulatedEnclave:
        return self.enclave_slot.get()

    @property
    def records(self) -> RecordView:
        """The book's records (model ones too, when the book is shared)."""
        return self.book.records

    # ------------------------------------------------------------------ LLMBackend

    def resolve_llm(self, model_id: str) -> LLMSpec:
        try:
            cid = self.store.resolve(model_id).cid
        except ModelNotFound:
            cid = None
        if cid is not None:
            loaded = self._local.get(cid) or self._load(model_id)
            if loaded is not None:
                size = self.store.resolve(loaded[0].model).size_bytes
                return LLMSpec(model_id, loaded[0].model_hash, "onnx", size)
        if self.http is not None:
            pin = keccak(text=f"{self.http.base_url}\0{model_id}")
            return LLMSpec(model_id, pin, "http")
        raise ModelNotFound(model_id)

    def _load(self, model_id: str) -> tuple[LLMBundle, OnnxCausalLM] | None:
        try:
            bundle = read_bundle(self.store, model_id)
        except ModelNotFound:
            return None
        with self._lock:
            if bundle.cid not in self._local:
                if bundle.chat_template != chat_template.NAME:
                    raise ModelExecutionError(f"unknown chat template {bundle.chat_template!r}")
                lm = OnnxCausalLM(
                    read_part(self.store, bundle.model),
                    read_part(self.store, bundle.tokenizer).decode("utf-8"),
                    bundle.eos_token,
                    bundle.context_length,
                )
                self._local[bundle.cid] = (bundle, lm)
                self._by_hash[bundle.model_hash] = (bundle, lm)
            return self._local[bundle.cid]

    def generate(
        self, model: LLMSpec, request: LLMRequest, inference_id: str, context: CallContext
    ) -> LLMResult:
        if request.mode == LLMInferenceMode.TEE:
            self.enclave_slot.require_attestable()  # a result nothing could ever settle
        seed = sampling_seed(inference_id) if request.temperature > 0 else None
        key = _cache_key(model, request, seed)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if model.backend == "http":
            result = self._run_http(model, request, seed)
        else:
            result = self._run_local(model, request, inference_id, seed)
        with self._lock:
            self.model_runs += 1
        self.cache.put(key, result)
        return result

    def _run_http(self, model: LLMSpec, request: LLMRequest, seed: int | None) -> LLMResult:
        assert self.http is not None
        body = request_body(request, model.model_id, seed)
        if isinstance(request, LLMChatRequest):
            return self.http.chat(body)
        return self.http.complete(body)

    def _run_local(
        self, model: LLMSpec, request: LLMRequest, inference_id: str, seed: int | None
    ) -> LLMResult:
        _bundle, lm = self._by_hash[model.model_hash]
        chat = isinstance(request, LLMChatRequest)
        prompt = (
            chat_template.render(request.messages, request.tools, request.tool_choice)
            if chat
            else request.prompt
        )
        generation = lm.generate(
            prompt,
            request.max_tokens,
            request.stop_sequence,
            request.temperature / 100,
            seed or 0,
        )
        if not chat:
            return LLMResult(
                generation.finish_reason,
                ChatMessage("assistant", generation.text),
                generation.completion_tokens,
                generation.prompt_tokens,
            )
        offered = [t.name for t in request.tools] if request.tool_choice != "none" else []
        reply = chat_template.parse_reply(generation.text, offered, inference_id)
        finish = "tool_calls" if reply.tool_calls else generation.finish_reason
        message = ChatMessage("assistant", reply.content, tool_calls=reply.tool_calls)
        return LLMResult(finish, message, generation.completion_tokens, generation.prompt_tokens)

    def record_llm(
        self,
        model: LLMSpec,
        request: LLMRequest,
        result: LLMResult,
        inference_id: str,
        context: CallContext,
    ) -> None:
        mode = LLMInferenceMode(request.mode)
        seed = sampling_seed(inference_id) if request.temperature > 0 else None
        req_hash = request_hash(request_body(request, model.model_id, seed))
        out_hash = output_hash(result)
        tee = signed = None
        if mode is LLMInferenceMode.TEE:
            signed = self.enclave.sign_result(req_hash, out_hash, context.timestamp)
            tee = TeeResponse.of(signed)
        self.book.put(
            LLMRecord(
                inference_id=inference_id,
                model_id=model.model_id,
                model_hash=model.model_hash,
                backend=model.backend,
                input_hash=req_hash,
                output_hash=out_hash,
                mode=mode,
                block_number=context.block_number,
                state=SettlementState.NOT_REQUIRED
                if mode is LLMInferenceMode.VANILLA
                else SettlementState.PENDING,
                tee_signature=signed,
                tee=tee,
                caller=context.sender,
            )
        )


def sampling_seed(inference_id: str) -> int:
    """The seed temperature > 0 samples with: the first 8 bytes of sha256(inference id)."""
    return int.from_bytes(hashlib.sha256(inference_id.encode()).digest()[:8], "big")


def _cache_key(model: LLMSpec, request: LLMRequest, seed: int | None) -> bytes:
    body = request_body(request, "", seed)  # the model hash names the model (CID or alias)
    body["mode"] = request.mode  # the mode does not change the text, but keep them apart
    return hashlib.sha256(model.model_hash + canonical_json(body).encode()).digest()


def default_llm_engine(store_dir: Path | str | None = None) -> LLMEngine:
    """One engine per store (and endpoint) per process, the endpoint from `OGKIT_LLM_URL`:
    the LLM engine of `default_inference_node`, sharing its book, cache and enclave."""
    from ogkit.inference.node import default_inference_node

    return default_inference_node(store_dir).llm_engine
