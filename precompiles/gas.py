"""Gas schedule of 0xF4: deterministic, so `eth_estimateGas` and execution always agree.

    gas = BASE
        + PER_INPUT_ELEMENT  * input numbers and strings
        + PER_STRING_BYTE    * UTF-8 bytes of input strings
        + PER_MODEL_KIB      * ceil(model file size / 1024)
        + compute_gas(cost of the model for the call's input shapes)
        + PER_OUTPUT_ELEMENT * output numbers and strings
        + PER_STRING_BYTE    * UTF-8 bytes of output strings
        + LOG_BASE + LOG_TOPIC + LOG_DATA_BYTE * len(event data)   (not in static calls)

    compute_gas = ceil(macs / MACS_PER_GAS)
                + ceil(bytes_moved / BYTES_PER_GAS)
                + ceil(large_bytes / LARGE_BYTES_PER_GAS)
                + PER_NODE_RUN * node runs

The cost (`precompiles.host.ComputeCost`) is a static analysis of the model's graph for the
concrete input shapes (`ModelSpec.compute`, done by the backend): multiply-adds (matrix
products, convolutions, tree traversals; an exp/tanh/… counts 8, a string compared or
normalised 800), bytes every node reads and writes, the part of those bytes in tensors over
2 MiB (they stream from memory), and node runs (loop bodies times their constant trip count).
It depends on the input's shapes only, never on its values, so it is known, and charged,
before the model runs. On the machine the rates were calibrated on (2 shared AMD EPYC cores,
onnxruntime on one thread; `bench/gas_compute.py`, bench/RESULTS-gas.md) every call that
computes over 1 ms pays 1,500-7,000 gas per ms of compute, whatever the model does. A
call whose cost is over `precompiles.limits` (MAX_COMPUTE_GAS, MAX_MODEL_PEAK_BYTES) reverts
before the model runs, and a run over MODEL_TIME_BUDGET_S is stopped and reverts; both keep
the gas charged.

LLM functions (runLLMCompletion, runLLMChat):

    gas = BASE + LLM_BASE
        + PER_PROMPT_BYTE     * UTF-8 bytes of the request's text (prompt or messages, tool
                                definitions, tool_choice, stop sequences)
        + PER_GENERATED_TOKEN * tokens the model generated
        + ceil(model weight bytes * token positions / LLM_WEIGHT_BYTES_PER_GAS)
        + LOG_BASE + LOG_TOPIC + LOG_DATA_BYTE * len(event data)   (not in static calls)

Token positions are what a model without a key-value cache (ogkit's local LLMs) runs: one
forward pass over the whole sequence per generated token and one more, so
positions = (generated + 1) * prompt tokens + generated * (generated + 1) / 2. A float32
weight is one multiply-add per position, so 80,000 weight bytes a gas is the model rate
(MACS_PER_GAS = 20,000 multiply-adds a gas). An HTTP endpoint's model has no known size:
its compute is not the chain's, and the term is 0. Token counts are known only after the
generation, so this term is charged with the generated tokens, after it.

Generated tokens are the backend's count (the local model's tokenizer, or the endpoint's
`usage.completion_tokens`); the result is recorded, so replays charge the same.

BASE is charged before the calldata is read, so even malformed calldata pays for itself.
Everything before the model runs is charged before it runs; the output terms after.
"""

BASE = 25_000
PER_INPUT_ELEMENT = 50
PER_OUTPUT_ELEMENT = 50
PER_STRING_BYTE = 4
PER_MODEL_KIB = 10
LOG_BASE = 375
LOG_TOPIC = 375
LOG_DATA_BYTE = 8
MACS_PER_GAS = 20_000
BYTES_PER_GAS = 16_000
LARGE_BYTES_PER_GAS = 4_000
PER_NODE_RUN = 3
LLM_BASE = 50_000
PER_PROMPT_BYTE = 8
PER_GENERATED_TOKEN = 400
LLM_WEIGHT_BYTES_PER_GAS = 80_000


def model_gas(size_bytes: int) -> int:
    return PER_MODEL_KIB * -(-size_bytes // 1024)


def compute_gas(macs: int, bytes_moved: int, large_bytes: int, nodes: int) -> int:
    """What running the model costs, from its static cost for the call's input shapes."""
    return (
        -(-macs // MACS_PER_GAS)
        + -(-bytes_moved // BYTES_PER_GAS)
        + -(-large_bytes // LARGE_BYTES_PER_GAS)
        + PER_NODE_RUN * nodes
    )


def elements_gas(elements: int, string_bytes: int, per_element: int) -> int:
    return per_element * elements + PER_STRING_BYTE * string_bytes


def llm_prompt_gas(prompt_bytes: int) -> int:
    return LLM_BASE + PER_PROMPT_BYTE * prompt_bytes


def llm_output_gas(tokens: int) -> int:
    return PER_GENERATED_TOKEN * tokens


def llm_positions(prompt_tokens: int, generated: int) -> int:
    """Token positions through the model: a pass over the sequence per token, and the last."""
    return (generated + 1) * prompt_tokens + generated * (generated + 1) // 2


def llm_compute_gas(size_bytes: int, prompt_tokens: int, generated: int) -> int:
    """What running a local LLM costs: its weights read once per token position."""
    return -(-size_bytes * llm_positions(prompt_tokens, generated) // LLM_WEIGHT_BYTES_PER_GAS)


def log_gas(data_len: int, topics: int = 1) -> int:
    return LOG_BASE + LOG_TOPIC * topics + LOG_DATA_BYTE * data_len


class GasMeter:
    """Charges against the frame's gas; running out ends the call like any EVM OOG."""

    __slots__ = ("available", "used")

    def __init__(self, available: int) -> None:
        self.available = available
        self.used = 0

    def charge(self, amount: int) -> None:
        if self.used + amount > self.available:
            self.used = self.available
            raise OutOfGasError(amount)
        self.used += amount


class OutOfGasError(Exception):
    """Not enough gas left in the frame for the next charge."""


# --- OGHistorical (0xF5) ----------------------------------------------------------------
# queryHistoricalCandles:
#     gas = HISTORICAL_BASE + PER_CANDLE_VALUE * total_candles * len(candle_types)
# runInferenceOnPriceFeed (the 0xF4 terms, with the candle tensor as its only input; no log):
#     gas = BASE + PER_CANDLE_VALUE * total_candles * len(candle_types)
#         + PER_MODEL_KIB * ceil(model file size / 1024)
#         + PER_OUTPUT_ELEMENT * output elements + PER_STRING_BYTE * output string bytes
# The base is charged before decoding and the candle term before the feed is asked, so a
# bad query still pays; both depend only on the calldata, never on the data served.

HISTORICAL_BASE = 5_000
PER_CANDLE_VALUE = 50


def candle_values_gas(total_candles: int, candle_types: int) -> int:
    return PER_CANDLE_VALUE * total_candles * candle_types
