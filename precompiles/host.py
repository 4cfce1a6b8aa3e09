"""What a precompile and the chain that hosts it hand each other, in one place.

A precompile is `(calldata, CallContext) -> PrecompileResult`. To reach the world outside the
EVM it calls one of three backends the chain hands in: `ModelBackend` (ONNX models, 0xF4 and
0xF5), `LLMBackend` (0xF4's LLM functions) and `PriceFeedBackend` (0xF5's candles). A test can
pass a real in-process node; a later node can live in another process behind the same methods.
Backends report failures with the errors defined here; the precompile turns them into reverts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

import numpy as np

from precompiles.historical.types import CandleType, HistoricalInputQuery
from precompiles.inference.llm_types import ChatMessage, LLMChatRequest, LLMCompletionRequest
from precompiles.inference.types import Number

# ------------------------------------------------------------------------- the call itself


class ExecutionPhase(IntEnum):
    """Why the EVM is running: only a committed transaction may leave inference records.

    PIPE_SIMULATION is the alpha testnet's first pass (an `eth_call`, a gas estimate or the
    inference mempool's dry run when two-phase execution is on): inferences answer an empty
    output flagged `is_simulation_result`, and no model runs.
    """

    COMMIT = 0
    CALL = 1
    PIPE_SIMULATION = 2


@dataclass(frozen=True)
class CallContext:
    """What a precompile may know about its call; the chain fills it from the EVM frame."""

    sender: bytes
    origin: bytes
    block_number: int
    timestamp: int
    gas_available: int
    is_static: bool = False
    phase: ExecutionPhase = ExecutionPhase.COMMIT
    origin_nonce: int = 0
    """The origin's account nonce when this transaction's first precompile call ran (its
    own nonce + 1, as the EVM bumps it before running): with `origin`, it tells the
    transactions of one sender apart, and an eth_call or estimate on the state the
    transaction will run on sees the same value."""
    call_index: int = 0
    """How many calls to the chain's precompiles (0xF4, 0xF5, 0x900) ran before this one in
    this transaction: the call's place in it, the same in every replay of the transaction."""

    @property
    def commits(self) -> bool:
        """Can what this call returns end up in a mined transaction? Only then may it leave
        an inference record: a static frame cannot change state, and a call or estimate is
        thrown away."""
        return not self.is_static and self.phase is ExecutionPhase.COMMIT


@dataclass(frozen=True)
class LogEntry:
    address: bytes
    topics: tuple[int, ...]
    data: bytes


@dataclass
class PrecompileResult:
    """Outcome of one precompile call.

    `gas_used` is always set, also on revert: the caller pays for the work done. When
    `out_of_gas` is set the chain burns the frame's gas instead of reverting.
    """

    output: bytes
    gas_used: int
    reverted: bool = False
    out_of_gas: bool = False
    logs: list[LogEntry] = field(default_factory=list)
    reason: str = ""


Precompile = Callable[[bytes, CallContext], PrecompileResult]
"""The shape of every precompile: calldata and context in, a result out, never an exception."""

# ------------------------------------------------------------------------------- errors


class ModelNotFound(LookupError):  # noqa: N818 - reads as the condition it reports
    """No model (or LLM) is stored or aliased under the requested id.

    `suggestion` is the closest known id, if any: a typo then costs one reading, not a search.
    """

    def __init__(self, *args: object, suggestion: str | None = None) -> None:
        super().__init__(*args)
        self.suggestion = suggestion

    def hint(self) -> str:
        """` (did you mean 'x'?)` or nothing: appended to a "model not found" message."""
        return f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""


class ModelExecutionError(RuntimeError):
    """The runtime (or LLM endpoint) refused the inputs or failed while running the model."""


class PriceFeedError(LookupError):
    """The feed cannot serve a query; the message is the revert reason's tail."""


class UnknownPair(PriceFeedError):  # noqa: N818 - reads as the condition it reports
    pass


class UnsupportedDuration(PriceFeedError):  # noqa: N818
    pass


class NotEnoughHistory(PriceFeedError):  # noqa: N818
    pass


# ------------------------------------------------------------------------ model backend


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output as the runtime declares it.

    `dtype` is ONNX's type string, e.g. "tensor(float)"; `None` in `shape` is a dynamic dim.
    `dim_names` holds the ONNX `dim_param` of each dimension (None where it has none), so an
    error can say which dynamic dimension it means.
    """

    name: str
    dtype: str
    shape: tuple[int | None, ...]
    dim_names: tuple[str | None, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ComputeCost:
    """What one run of a model costs for given input shapes, from a static analysis of its
    graph: the terms 0xF4's compute gas is a function of (see `precompiles.gas`)."""

    macs: int
    """Multiply-adds (matrix products, convolutions, tree traversals, transcendentals)."""
    bytes_moved: int
    """Bytes every node reads and writes, summed over nodes (loop bodies times their count)."""
    nodes: int
    """Node executions (loop bodies times their count)."""
    peak_bytes: int
    """Most bytes of activations alive at once: the run's memory bound."""
    large_bytes: int = 0
    """The part of `bytes_moved` in tensors too big for a core's cache: they stream from
    memory, several times slower per byte."""


ComputeMeter = Callable[[dict[str, tuple[int, ...]]], ComputeCost]
"""Input name -> concrete shape in, the run's cost out. Raises `ModelExecutionError` when the
shapes cannot be priced (the model's work depends on the input's values)."""


@dataclass(frozen=True)
class ModelSpec:
    model_hash: bytes
    """sha256 of the model file: what results and proofs are keyed by."""
    size_bytes: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    compute: ComputeMeter | None = field(default=None, compare=False, repr=False)
    """Prices a run before it happens; None (a backend that cannot analyse its models) charges
    no compute gas."""


class ModelBackend(Protocol):
    """How 0xF4's `runModelInference` and 0xF5's `runInferenceOnPriceFeed` run a model."""

    def resolve(self, model_id: str) -> ModelSpec:
        """Find a model by CID, alias or name; raise `ModelNotFound` if there is none."""
        ...

    def infer(
        self,
        model: ModelSpec,
        mode: int,
        inputs: dict[str, np.ndarray],
        inference_id: str,
        context: CallContext,
    ) -> list[tuple[str, np.ndarray]]:
        """Run (or replay from the record) one inference; outputs in the model's order.

        Raise `ModelExecutionError` for anything the model or runtime rejects.
        """
        ...

    def record(
        self,
        model: ModelSpec,
        mode: int,
        inputs: dict[str, np.ndarray],
        outputs: list[tuple[str, np.ndarray]],
        inference_id: str,
        context: CallContext,
    ) -> None:
        """Keep the record of an inference the precompile returned successfully.

        Called only after every charge succeeded and never in a static call, so a call
        that reverts leaves no record behind.
        """
        ...


# -------------------------------------------------------------------------- LLM backend


@dataclass(frozen=True)
class LLMSpec:
    model_id: str
    """The id the request named (CID, alias or the endpoint's model name)."""
    model_hash: bytes
    """32 bytes that pin the model: results, inference ids and records are keyed by it."""
    backend: str
    """Which kind of node runs it, e.g. "onnx" or "http"."""
    size_bytes: int = 0
    """Bytes of the model's weights, which every token through it reads: what its compute
    gas scales with. 0 for an endpoint (the chain runs nothing, so charges no compute)."""


@dataclass(frozen=True)
class LLMResult:
    """One generation. A completion's answer is `message.content`."""

    finish_reason: str
    """"stop" (end token or stop sequence), "length" (max_tokens) or "tool_calls"."""
    message: ChatMessage
    completion_tokens: int
    """Tokens generated: what gas is charged per."""
    prompt_tokens: int = 0
    """Tokens of the prompt as the model's tokenizer counts them (compute gas)."""


LLMRequest = LLMCompletionRequest | LLMChatRequest


class LLMBackend(Protocol):
    """How 0xF4's `runLLMCompletion` and `runLLMChat` reach an LLM node.

    The chain hands one in (a local ONNX causal LM, an OpenAI-compatible HTTP endpoint, or a
    router over both); the precompile only validates, charges gas, encodes and emits.
    Backends raise `ModelNotFound` for unknown model ids and `ModelExecutionError` for
    everything the model, runtime or endpoint rejects.
    """

    def resolve_llm(self, model_id: str) -> LLMSpec:
        """Find an LLM by id; raise `ModelNotFound` if there is none."""
        ...

    def generate(
        self, model: LLMSpec, request: LLMRequest, inference_id: str, context: CallContext
    ) -> LLMResult:
        """Run (or replay from the record) one completion or chat turn.

        Temperature > 0 must sample with a seed derived from `inference_id`, so every replay
        of a block gives the same text.
        """
        ...

    def record_llm(
        self,
        model: LLMSpec,
        request: LLMRequest,
        result: LLMResult,
        inference_id: str,
        context: CallContext,
    ) -> None:
        """Keep the record of an LLM call the precompile returned successfully (never called
        in a static call or for a call that reverts)."""
        ...


# --------------------------------------------------------------------- price-feed backend


@dataclass(frozen=True)
class Candle:
    """One closed candle; prices and volume as fixed point (SDK rule: normalised decimal)."""

    open_time: int
    """Unix seconds; the candle closes at `open_time + duration_mins * 60`."""
    duration_mins: int
    open: Number
    high: Number
    low: Number
    close: Number
    volume: Number

    @property
    def close_time(self) -> int:
        return self.open_time + self.duration_mins * 60

    def value(self, candle_type: CandleType) -> Number:
        return _CANDLE_FIELDS[candle_type](self)


_CANDLE_FIELDS = {
    CandleType.High: lambda c: c.high,
    CandleType.Low: lambda c: c.low,
    CandleType.Open: lambda c: c.open,
    CandleType.Close: lambda c: c.close,
    CandleType.Volume: lambda c: c.volume,
}


class PriceFeedBackend(Protocol):
    """How 0xF5 reads candles: the precompile reads no files and no network.

    `ogkit.pricefeed` serves candles from a CSV file or the shipped synthetic sample, and
    signs what it served.
    """

    def candles(
        self, base: str, quote: str, duration_mins: int, count: int, timestamp: int
    ) -> tuple[Candle, ...]:
        """The latest `count` candles that closed at or before `timestamp`, oldest first.

        Deterministic in its arguments, so eth_call, gas estimation and the transaction in
        one block (and every replay of it) see the same candles. Raise `UnknownPair`,
        `UnsupportedDuration` or `NotEnoughHistory`.
        """
        ...

    def record(
        self,
        query: HistoricalInputQuery,
        candles: tuple[Candle, ...],
        context: CallContext,
    ) -> None:
        """Keep (and sign) the record of candles the precompile served successfully.

        Called only when the call succeeds (a revert leaves no record), static frames and
        eth_call included: the record is the data node's log of what it served, not chain
        state. Replays of a block must not add a second record.
        """
        ...
