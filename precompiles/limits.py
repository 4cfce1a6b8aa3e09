"""Size caps for 0xF4 requests; anything over a cap reverts before a model runs."""

MAX_CALLDATA_BYTES = 1 << 20  # 1 MiB
MAX_TENSORS = 64  # number + string tensors in one request
MAX_TENSOR_RANK = 8
MAX_INPUT_ELEMENTS = 1 << 16  # 65,536 numbers + strings over all input tensors
MAX_INPUT_STRING_BYTES = 1 << 18  # 256 KiB of UTF-8 over all input strings
MAX_OUTPUT_ELEMENTS = 1 << 16

# OGHistorical (0xF5)
MAX_HISTORICAL_CANDLES = 1_000  # total_candles per query
MAX_CANDLE_TYPES = 16  # entries of candle_types (repeats allowed)
