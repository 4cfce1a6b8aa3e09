"""The OGHistorical precompile at 0x…F5: price-history queries and inference on them.

`queryHistoricalCandles(query)` returns `TensorLib.Number[]`; `runInferenceOnPriceFeed(
model_id, input_name, query)` puts the same values in a number tensor named `input_name`
and runs the model through the model backend 0xF4 uses, returning its `ModelOutput`.

Layout (upstream leaves it unspecified; ours, as its "total_candles x types" reading): one
row per candle, `total_candles` rows, each row the candle's values in `candle_types` order,
flattened row-major; rows oldest first for `Ascending`, newest first for `Descending`. The
tensor's shape is `[total_candles, len(candle_types)]`. Values are fixed point by the SDK
rule (normalised decimal digits, see `fixed_point`).

January 2025's form of both functions (`0x45085f3d`, `0xa28e7f60`: one `currency_pair`
"BASE/QUOTE" instead of base and quote, and no Volume candle type) is answered exactly as
today's selectors answer the same query.

Candles come from the `PriceFeedBackend` the chain hands in: the latest `total_candles` that closed
at or before the block's timestamp. Upstream documents no event for 0xF5, so none is
emitted; a model run still gets an inference id and a VANILLA record like 0xF4's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eth_utils import keccak

from precompiles import gas, limits
from precompiles.abi.reader import AbiDecodeError
from precompiles.guard import PrecompileRevert, echo, run_guarded
from precompiles.historical.codec import (
    EARLIER_QUERY_HISTORICAL_CANDLES_SIGNATURE,
    EARLIER_RUN_INFERENCE_ON_PRICE_FEED_SIGNATURE,
    QUERY_HISTORICAL_CANDLES_SIGNATURE,
    RUN_INFERENCE_ON_PRICE_FEED_SIGNATURE,
    decode_earlier_query_historical_candles,
    decode_earlier_run_inference_on_price_feed,
    decode_query_historical_candles,
    decode_run_inference_on_price_feed,
    encode_numbers,
)
from precompiles.historical.types import (
    CandleOrder,
    CandleType,
    EarlierQuery,
    HistoricalInputQuery,
)
from precompiles.host import (
    CallContext,
    Candle,
    ExecutionPhase,
    ModelBackend,
    ModelExecutionError,
    ModelNotFound,
    Precompile,
    PrecompileResult,
    PriceFeedBackend,
    PriceFeedError,
)
from precompiles.inference.model_codec import encode_model_output
from precompiles.inference.models import (
    SIMULATION_OUTPUT,
    bind_inputs,
    charge_compute,
    make_inference_id,
    model_output,
)
from precompiles.inference.types import ModelInferenceMode, ModelInput, Number, NumberTensor

QUERY_HISTORICAL_CANDLES = keccak(text=QUERY_HISTORICAL_CANDLES_SIGNATURE)[:4]
RUN_INFERENCE_ON_PRICE_FEED = keccak(text=RUN_INFERENCE_ON_PRICE_FEED_SIGNATURE)[:4]
EARLIER_QUERY_HISTORICAL_CANDLES = keccak(text=EARLIER_QUERY_HISTORICAL_CANDLES_SIGNATURE)[:4]
EARLIER_RUN_INFERENCE_ON_PRICE_FEED = keccak(text=EARLIER_RUN_INFERENCE_ON_PRICE_FEED_SIGNATURE)[:4]
EARLIER_CANDLE_TYPES = 4
"""January 2025's `CandleType` had High, Low, Open, Close (today's first four), no Volume."""
NAME = "OGHistorical"


def make_og_historical(feed: PriceFeedBackend, backend: ModelBackend) -> Precompile:
    """Bind 0xF5 to the price-feed and model backends the chain hands in."""

    def og_historical(calldata: bytes, context: CallContext) -> PrecompileResult:
        return run(calldata, context, feed, backend)

    return og_historical


def run(
    calldata: bytes, context: CallContext, feed: PriceFeedBackend, backend: ModelBackend
) -> PrecompileResult:
    meter = gas.GasMeter(context.gas_available)

    def body() -> PrecompileResult:
        selector = calldata[:4]
        if selector in (RUN_INFERENCE_ON_PRICE_FEED, EARLIER_RUN_INFERENCE_ON_PRICE_FEED):
            meter.charge(gas.BASE)
            earlier = selector == EARLIER_RUN_INFERENCE_ON_PRICE_FEED
            return _run_inference(calldata[4:], context, feed, backend, meter, earlier)
        meter.charge(gas.HISTORICAL_BASE)
        if len(calldata) > limits.MAX_CALLDATA_BYTES:
            raise PrecompileRevert(
                f"{NAME}: calldata of {len(calldata)} bytes exceeds {limits.MAX_CALLDATA_BYTES}"
            )
        if selector in (QUERY_HISTORICAL_CANDLES, EARLIER_QUERY_HISTORICAL_CANDLES):
            earlier = selector == EARLIER_QUERY_HISTORICAL_CANDLES
            return _query_candles(calldata[4:], context, feed, meter, earlier)
        raise PrecompileRevert(f"{NAME}: unknown function selector 0x{selector.hex()}")

    return run_guarded(NAME, meter, body)


def _query_candles(
    args: bytes, context: CallContext, feed: PriceFeedBackend, meter: gas.GasMeter, earlier: bool
) -> PrecompileResult:
    try:
        if earlier:
            query = today(decode_earlier_query_historical_candles(args, limits.MAX_CANDLE_TYPES))
        else:
            query = decode_query_historical_candles(args, limits.MAX_CANDLE_TYPES)
    except AbiDecodeError as exc:
        raise PrecompileRevert(f"{NAME}: malformed calldata: {exc}") from None
    candles, values = _serve(query, context, feed, meter)
    feed.record(query, candles, context)
    return PrecompileResult(encode_numbers(values), meter.used)


def _run_inference(
    args: bytes,
    context: CallContext,
    feed: PriceFeedBackend,
    backend: ModelBackend,
    meter: gas.GasMeter,
    earlier: bool = False,
) -> PrecompileResult:
    if len(args) + 4 > limits.MAX_CALLDATA_BYTES:
        raise PrecompileRevert(
            f"{NAME}: calldata of {len(args) + 4} bytes exceeds {limits.MAX_CALLDATA_BYTES}"
        )
    try:
        if earlier:
            model_id, input_name, old = decode_earlier_run_inference_on_price_feed(
                args, limits.MAX_CANDLE_TYPES
            )
            query = today(old)
        else:
            model_id, input_name, query = decode_run_inference_on_price_feed(
                args, limits.MAX_CANDLE_TYPES
            )
    except AbiDecodeError as exc:
        raise PrecompileRevert(f"{NAME}: malformed calldata: {exc}") from None
    candles, values = _serve(query, context, feed, meter)
    try:
        model = backend.resolve(model_id)
    except ModelNotFound as exc:
        raise PrecompileRevert(f"{NAME}: model not found: {echo(model_id)}{exc.hint()}") from None
    except ModelExecutionError as exc:
        raise PrecompileRevert(f"{NAME}: cannot load model {echo(model_id)}: {exc}") from None
    meter.charge(gas.model_gas(model.size_bytes))

    shape = (query.total_candles, len(query.candle_types))
    model_input = ModelInput(numbers=(NumberTensor(input_name, tuple(values), shape),))
    mode = ModelInferenceMode.VANILLA
    with _as_historical():
        arrays = bind_inputs(model, model_input)
        charge_compute(model, arrays, meter)
        if context.phase is ExecutionPhase.PIPE_SIMULATION:  # as 0xF4: collected, not run
            feed.record(query, candles, context)
            return PrecompileResult(encode_model_output(SIMULATION_OUTPUT), meter.used)
        inference_id = make_inference_id(context, model, args)
        try:
            outputs = backend.infer(model, mode, arrays, inference_id, context)
        except ModelExecutionError as exc:
            raise PrecompileRevert(f"{NAME}: model execution failed: {exc}") from None
        output, out_elements, out_bytes = model_output(outputs)
    meter.charge(gas.elements_gas(out_elements, out_bytes, gas.PER_OUTPUT_ELEMENT))
    feed.record(query, candles, context)
    if context.commits:  # as on 0xF4: only a call that can be mined leaves a record
        backend.record(model, mode, arrays, outputs, inference_id, context)
    return PrecompileResult(encode_model_output(output), meter.used)


def today(query: EarlierQuery) -> HistoricalInputQuery:
    """January 2025's query as today's: "ETH/USD" -> base "ETH", quote "USD"."""
    base, slash, quote = query.currency_pair.partition("/")
    if not slash or not base or not quote or "/" in quote:
        raise PrecompileRevert(
            f"{NAME}: currency_pair '{query.currency_pair}' is not BASE/QUOTE (e.g. ETH/USD)"
        )
    unknown = [t for t in query.candle_types if t >= EARLIER_CANDLE_TYPES]
    if unknown:  # Volume came later: an earlier contract cannot have meant it
        raise PrecompileRevert(f"{NAME}: unknown candle type {unknown[0]}")
    return HistoricalInputQuery(
        base,
        quote,
        query.total_candles,
        query.candle_duration_in_mins,
        query.order,
        query.candle_types,
    )


def _serve(
    query: HistoricalInputQuery, context: CallContext, feed: PriceFeedBackend, meter: gas.GasMeter
) -> tuple[tuple[Candle, ...], list[Number]]:
    """Validate the query, charge for its values, fetch candles, lay them out."""
    types = _validate(query)
    meter.charge(gas.candle_values_gas(query.total_candles, len(types)))
    try:
        candles = feed.candles(
            query.base,
            query.quote,
            query.candle_duration_in_mins,
            query.total_candles,
            context.timestamp,
        )
    except PriceFeedError as exc:
        raise PrecompileRevert(f"{NAME}: {exc}") from None
    if len(candles) != query.total_candles:  # a feed bug, but never serve a wrong shape
        raise PrecompileRevert(
            f"{NAME}: price feed returned {len(candles)} candles, {query.total_candles} asked"
        )
    return candles, layout(candles, query.order, types)


def _validate(query: HistoricalInputQuery) -> list[CandleType]:
    if query.order not in CandleOrder._value2member_map_:
        raise PrecompileRevert(f"{NAME}: unknown candle order {query.order}")
    if not query.candle_types:
        raise PrecompileRevert(f"{NAME}: candle_types is empty")
    unknown = [t for t in query.candle_types if t not in CandleType._value2member_map_]
    if unknown:
        raise PrecompileRevert(f"{NAME}: unknown candle type {unknown[0]}")
    if not 1 <= query.total_candles <= limits.MAX_HISTORICAL_CANDLES:
        raise PrecompileRevert(
            f"{NAME}: total_candles {query.total_candles} outside "
            f"[1, {limits.MAX_HISTORICAL_CANDLES}]"
        )
    if query.candle_duration_in_mins == 0:
        raise PrecompileRevert(f"{NAME}: candle_duration_in_mins is 0")
    return [CandleType(t) for t in query.candle_types]


def layout(candles: tuple[Candle, ...], order: int, types: list[CandleType]) -> list[Number]:
    """Candles (oldest first) -> row-major values, one row per candle in `order`."""
    rows = candles if order == CandleOrder.Ascending else tuple(reversed(candles))
    return [candle.value(t) for candle in rows for t in types]


@contextmanager
def _as_historical() -> Iterator[None]:
    """Re-label 0xF4 helpers' revert reasons ("OGInference: …") as this precompile's."""
    try:
        yield
    except PrecompileRevert as exc:
        if not exc.reason.startswith("OGInference: "):
            raise
        raise PrecompileRevert(NAME + exc.reason[len("OGInference") :]) from None
