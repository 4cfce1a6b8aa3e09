"""Size caps for 0xF4 requests; anything over a cap reverts before a model runs."""

MAX_CALLDATA_BYTES = 1 << 20  # 1 MiB
MAX_TENSORS = 64  # number + string tensors in one request
MAX_TENSOR_RANK = 8
MAX_INPUT_ELEMENTS = 1 << 16  # 65,536 numbers + strings over all input tensors
MAX_INPUT_STRING_BYTES = 1 << 18  # 256 KiB of UTF-8 over all input strings
MAX_OUTPUT_ELEMENTS = 1 << 16
# Model compute (0xF4 runModelInference, 0xF5 runInferenceOnPriceFeed). The cost of a run is
# known before it starts (precompiles.gas.compute_gas); a call over either static cap reverts
# before the model runs, paying the gas charged up to then.
MAX_COMPUTE_GAS = 3_000_000  # at most ~2 s of compute at the calibrated >= 1,500 gas per ms
MAX_MODEL_PEAK_BYTES = 256 << 20  # 256 MiB of activations alive at once
MODEL_TIME_BUDGET_S = 5.0
"""Wall-clock cap on one model run, enforced by the node (onnxruntime's terminate flag): the
static caps keep every admitted run far below it; the budget is the backstop for a slow or
loaded machine. A run that hits it reverts, keeping the (already charged) compute gas."""

# OGHistorical (0xF5)
MAX_HISTORICAL_CANDLES = 1_000  # total_candles per query
MAX_CANDLE_TYPES = 16  # entries of candle_types (repeats allowed)
# LLM functions (runLLMCompletion, runLLMChat)
MAX_LLM_TOKENS = 1024  # max_tokens cap: a request over it reverts
MAX_LLM_PROMPT_BYTES = 1 << 16  # 64 KiB of prompt, messages and tool definitions together
MAX_CHAT_MESSAGES = 128
MAX_LLM_TOOLS = 32
MAX_STOP_SEQUENCES = 4  # as OpenAI's API
MAX_STOP_SEQUENCE_BYTES = 64
MAX_LLM_TEMPERATURE = 100  # uint32 temperature × 100: 0–100 as OpenGradient documents
