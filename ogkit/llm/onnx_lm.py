"""Runs a user's ONNX causal LM with onnxruntime and a HF `tokenizer.json`.

The convention an ONNX LLM must follow (what `ogkit models add-llm` accepts):

- input `input_ids`: int64 [batch, seq]; optionally `attention_mask`: int64 [batch, seq]
  (fed all ones); no other inputs (no KV cache: every step runs the whole sequence);
- output `logits`: float [batch, seq, vocab] (the first output if none is named so), as a
  Hugging Face `optimum` export without past key values;
- a tokenizer in Hugging Face `tokenizer.json` format (loaded with `tokenizers`) whose
  vocabulary matches the logits, and an end token that closes a reply.

Decoding: temperature 0 is greedy (argmax, first index on ties): deterministic. Above 0 it
samples from softmax(logits / T) with numpy's PCG64 seeded by the caller (the inference
id), so a replay samples the same tokens. Generation stops at the end token, at a stop
sequence (cut from the text) or after `max_tokens`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from precompiles.host import ModelExecutionError

if TYPE_CHECKING:  # loaded when an LLM is, not when the module is (a chain without LLMs)
    import onnxruntime as ort


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: str
    """"stop" (end token or stop sequence) or "length" (max_tokens)."""
    prompt_tokens: int
    completion_tokens: int


class OnnxCausalLM:
    def __init__(
        self, model: bytes, tokenizer_json: str, eos_token: str, context_length: int
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 4
        try:
            self.session = ort.InferenceSession(
                model, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own hierarchy
            raise ModelExecutionError(f"cannot load LLM: {exc}") from exc
        try:
            self.tokenizer = Tokenizer.from_str(tokenizer_json)
        except Exception as exc:  # noqa: BLE001 - tokenizers raises a plain Exception
            raise ModelExecutionError(f"cannot load tokenizer.json: {exc}") from exc
        self.eos_id = self.tokenizer.token_to_id(eos_token)
        if self.eos_id is None:
            raise ModelExecutionError(f"end token {eos_token!r} is not in the tokenizer")
        self.context_length = context_length
        self._inputs = check_convention(self.session)
        outputs = [o.name for o in self.session.get_outputs()]
        self._logits = "logits" if "logits" in outputs else outputs[0]
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    def _next_logits(self, ids: list[int]) -> np.ndarray:
        array = np.array([ids], dtype=np.int64)
        feed = {"input_ids": array}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = np.ones_like(array)
        try:
            with self._lock:
                (logits,) = self.session.run([self._logits], feed)
        except Exception as exc:  # noqa: BLE001
            raise ModelExecutionError(str(exc).split("\n")[0]) from exc
        if logits.ndim != 3 or logits.shape[:2] != array.shape:
            raise ModelExecutionError(
                f"logits have shape {list(logits.shape)}; expected [1, {len(ids)}, vocab]"
            )
        return logits[0, -1].astype(np.float64)

    def generate(
        self,
        prompt: str,
        max_tokens: int,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Generation:
        stream = self.stream(prompt, max_tokens, stop, temperature, seed)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result

    def stream(
        self,
        prompt: str,
        max_tokens: int,
        stop: tuple[str, ...] = (),
        temperature: float = 0.0,
        seed: int = 0,
        deadline: float | None = None,
    ) -> TokenStream:
        """The reply as text pieces (see `TokenStream`); `deadline` (time.monotonic()) ends
        it early with finish_reason "length", like max_tokens, so no request holds a core
        longer than the caller allows."""
        ids = self.tokenizer.encode(prompt).ids
        if not ids:  # nothing to continue: the model's logits would have no last position
            raise ModelExecutionError("the prompt encodes to no tokens")
        if len(ids) + max_tokens > self.context_length:
            raise ModelExecutionError(
                f"prompt of {len(ids)} tokens plus max_tokens {max_tokens} exceeds the "
                f"model's context of {self.context_length} tokens"
            )
        return TokenStream(self, ids, max_tokens, stop, temperature, seed, deadline)


class TokenStream:
    """Iterates the reply's new text, piece by piece, as the tokens come; `result` is the
    whole `Generation` once it ended. Text that may still turn into a stop sequence (or an
    unfinished UTF-8 character) is held back until it cannot, so what was yielded is always
    a prefix of the final text. `close()` (a client that left) stops it between tokens."""

    def __init__(
        self,
        lm: OnnxCausalLM,
        ids: list[int],
        max_tokens: int,
        stop: tuple[str, ...],
        temperature: float,
        seed: int,
        deadline: float | None,
    ) -> None:
        self._lm, self._ids, self._max, self._stop = lm, ids, max_tokens, stop
        self._temperature, self._deadline = temperature, deadline
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._gen = self._run()
        self.result: Generation | None = None

    def __iter__(self) -> TokenStream:
        return self

    def __next__(self) -> str:
        return next(self._gen)

    def close(self) -> None:
        self._gen.close()

    def _run(self) -> Iterator[str]:
        generated: list[int] = []
        finish, text, sent = "length", "", 0
        while len(generated) < self._max:
            if self._deadline is not None and time.monotonic() >= self._deadline:
                break
            token = _pick(
                self._lm._next_logits(self._ids + generated), self._temperature, self._rng
            )
            if token == self._lm.eos_id:
                finish = "stop"
                break
            generated.append(token)
            text = self._lm.tokenizer.decode(generated)
            cut = _stop_at(text, self._stop)
            if cut is not None:
                text, finish = text[:cut], "stop"
                break
            safe = len(text) - _held_back(text, self._stop)
            if safe > sent:
                yield text[sent:safe]
                sent = safe
        self.result = Generation(text, finish, len(self._ids), len(generated))
        if len(text) > sent:
            yield text[sent:]


def _held_back(text: str, stop: tuple[str, ...]) -> int:
    """How many trailing characters must wait: the longest tail that begins a stop sequence,
    or a trailing replacement character (half a multi-byte character)."""
    held = len(text) - len(text.rstrip("\ufffd"))
    for s in stop:
        for n in range(min(len(s) - 1, len(text)), held, -1):
            if s.startswith(text[-n:]):
                held = n
                break
    return held


def check_convention(session: ort.InferenceSession) -> set[str]:
    """The model's inputs, after checking they follow the convention in this module's doc."""
    inputs = {i.name: i for i in session.get_inputs()}
    if "input_ids" not in inputs:
        raise ModelExecutionError(
            f"an LLM needs an int64 input 'input_ids'; it has {sorted(inputs)}"
        )
    extra = set(inputs) - {"input_ids", "attention_mask"}
    if extra:
        raise ModelExecutionError(
            f"unsupported LLM inputs {sorted(extra)} (only input_ids and attention_mask; "
            "export without past key values)"
        )
    for name, spec in inputs.items():
        if spec.type != "tensor(int64)":
            raise ModelExecutionError(f"LLM input '{name}' is {spec.type}; expected tensor(int64)")
    return set(inputs)


def _pick(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    if temperature <= 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))


def _stop_at(text: str, stop: tuple[str, ...]) -> int | None:
    hits = [text.find(s) for s in stop if s in text]
    return min(hits) if hits else None
