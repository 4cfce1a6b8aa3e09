"""Contracts written in each earlier OpenGradient style run unchanged on `opengradient:local`.

They are compiled as a user's project compiles them (`ogkit.solidity.PROJECT_SETTINGS`,
tests/support/compat_support.py): tests/support/compat/neuroml_1_0/ against the
`opengradient-neuroml` 1.0.x names (`runLLMInference`), tests/support/compat/jan2025/ against
January 2025's price-feed query (one `currency_pair`, a `ModelOutput` kept in storage). Each
answer is checked against what today's selectors, the price feed and onnxruntime give for the
same request.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from compat_support import COMPAT, containers
from eth_abi import encode
from eth_tester.exceptions import TransactionFailed

from ogkit.pricefeed import CsvPriceSource
from precompiles.fixed_point import from_array, to_array
from precompiles.historical.codec import EARLIER_INPUT_QUERY, HISTORICAL_INPUT_QUERY

OG_INFERENCE = "0x00000000000000000000000000000000000000F4"
OG_HISTORICAL = "0x00000000000000000000000000000000000000F5"
LLM_ID = "meta-llama/Meta-Llama-3-8B-Instruct"  # a Hugging Face-style id, aliased to tiny-llm
WALRUS_ID = "Vb3xQ9kTmR7pLw2NcY8sHd4JfUa1EoGi5Ke0MnXqWzA"  # 43 base64url chars, as on Walrus
QM_ID = "QmT5NvUtoM5nWFfrQdVrFtvGfKFmG7AHE8P34isapyhCxX"
OHLC = [2, 0, 1, 3]  # Open, High, Low, Close: the volatility model's columns
# This module's own pair: the data node's records outlive Ape's snapshot reverts, and other
# modules count the records of the sample pairs per block number.
PAIR = ("CMP", "USD")
HALF_HOUR = 1800


@pytest.fixture(scope="module")
def built():
    return containers(sorted(COMPAT.rglob("*.sol")))


@pytest.fixture(scope="module")
def ids(model_store):
    model_store.alias(LLM_ID, model_store.resolve("tiny-llm").cid)
    model_store.alias(WALRUS_ID, model_store.resolve("volatility").cid)
    model_store.alias(QM_ID, model_store.resolve("volatility").cid)
    return model_store


@pytest.fixture(scope="module")
def feed(chain, tmp_path_factory):
    """The provider's data node, also serving CMP/USD half-hour candles around now."""
    node = chain.provider.price_feed
    if "/".join(PAIR) not in node.pairs():
        start = (chain.pending_timestamp // HALF_HOUR - 400) * HALF_HOUR
        lines = ["pair,timestamp,duration_mins,open,high,low,close,volume"]
        for i in range(800):
            price = 2000 + (i * 37) % 101 + i / 100
            row = (price, price + 6.5, price - 4.25, price + 1.75, 10 + i % 7)
            lines.append(f"CMP/USD,{start + i * HALF_HOUR},30,{','.join(f'{v:g}' for v in row)}")
        path = tmp_path_factory.mktemp("compat-prices") / "cmp.csv"
        path.write_text("\n".join(lines) + "\n")
        node.add_source(CsvPriceSource.load(path))
    return node


@pytest.fixture(scope="module")
def session(model_store):
    data = model_store.read(model_store.resolve("volatility"))
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def forecast(session, values) -> list[tuple[int, int]]:
    """onnxruntime on 40 fixed-point values read row-major as [10, 4]."""
    grid = to_array([tuple(v) for v in values], np.dtype(np.float32)).reshape(10, 4)
    (out,) = session.run(["volatility"], {"open_high_low_close": grid})
    return list(from_array(out))


def as_numbers(values) -> list[tuple[int, int]]:
    return [(int(v[0]), int(v[1])) for v in values]


# ---------------------------------------------------------------- opengradient-neuroml 1.0.x


def test_llm_by_its_1_0_names_answers_like_run_llm_completion(built, ids, project, owner, networks):
    consumer = owner.deploy(built["NeuroMLConsumer"], WALRUS_ID, LLM_ID)
    today = owner.deploy(project.LLMAssistant, LLM_ID, 0)
    receipt = consumer.complete("The quick brown fox", sender=owner)
    today.complete("The quick brown fox", 1000, ["<end>"], 0, sender=owner)
    assert consumer.answer() == today.lastAnswer() == " jumps over the lazy dog."

    # 0xF4 emitted today's completion event, with the request as the contract sent it
    (event,) = [e for e in receipt.events if e.event_name == "LLMCompletionEvent"]
    assert event.contract_address == OG_INFERENCE
    assert list(event.request) == [0, LLM_ID, "The quick brown fox", 1000, ("<end>",), 0]
    assert list(event.response) == [" jumps over the lazy dog."]
    record = networks.provider.llm_engine.records[event.inferenceID]
    assert record.model_id == LLM_ID and record.block_number == receipt.block_number


def test_llm_prompt_in_the_start_end_style(built, ids, project, owner):
    """Prompts ending in "\\n<start>" (the tiny model knows no such marker: it answers "")."""
    consumer = owner.deploy(built["NeuroMLConsumer"], WALRUS_ID, LLM_ID)
    today = owner.deploy(project.LLMAssistant, LLM_ID, 0)
    receipt = consumer.ask("Once upon a time", sender=owner)
    today.complete("Once upon a time\n<start>", 1000, ["<end>"], 0, sender=owner)
    assert consumer.answer() == today.lastAnswer() == ""
    (event,) = [e for e in receipt.events if e.event_name == "LLMCompletionEvent"]
    assert list(event.request) == [0, LLM_ID, "Once upon a time\n<start>", 1000, ("<end>",), 0]


def test_flat_tensor_reaches_a_10_by_4_model(built, ids, owner, session):
    consumer = owner.deploy(built["NeuroMLConsumer"], WALRUS_ID, LLM_ID)
    candles = [(3000 + 7 * i, 1) for i in range(40)]
    receipt = consumer.predict(candles, sender=owner)
    assert tuple(consumer.forecast()) == tuple(forecast(session, candles)[0])
    assert consumer.lastWasSimulation() is False
    (event,) = receipt.decode_logs()
    name, values, shape = event.request[2][0][0]
    assert (name, as_numbers(values), list(shape)) == ("open_high_low_close", candles, [40])
    assert [list(t[2]) for t in event.response[0]] == [[1]]


# ---------------------------------------------------------------- January 2025 price feed


def _earlier_query(pair: str = "CMP/USD", types=OHLC) -> tuple:
    return (pair, 10, 30, 0, types)


def _call(chain, owner, data: bytes) -> bytes:
    return bytes(
        chain.provider.web3.eth.call(
            {"from": owner.address, "to": OG_HISTORICAL, "data": "0x" + data.hex()}
        )
    )


def test_earlier_selectors_answer_as_todays(chain, owner, ids, feed):
    """The same query through both forms, in one block: identical return data."""
    earlier = encode([EARLIER_INPUT_QUERY], [_earlier_query()])
    today = encode([HISTORICAL_INPUT_QUERY], [(*PAIR, 10, 30, 0, OHLC)])
    candles = _call(chain, owner, bytes.fromhex("45085f3d") + earlier)
    assert candles == _call(chain, owner, bytes.fromhex("f2f08e63") + today)
    assert len(candles) == 64 + 40 * 64  # 40 Numbers

    args = ("volatility", "open_high_low_close")
    earlier_run = encode(["string", "string", EARLIER_INPUT_QUERY], [*args, _earlier_query()])
    today_run = encode(
        ["string", "string", HISTORICAL_INPUT_QUERY], [*args, (*PAIR, 10, 30, 0, OHLC)]
    )
    output = _call(chain, owner, bytes.fromhex("a28e7f60") + earlier_run)
    assert output == _call(chain, owner, bytes.fromhex("a192a0f9") + today_run)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (_earlier_query("ETHUSD"), "currency_pair 'ETHUSD' is not BASE/QUOTE (e.g. ETH/USD)"),
        (_earlier_query("ETH/"), "currency_pair 'ETH/' is not BASE/QUOTE (e.g. ETH/USD)"),
        (_earlier_query("A/B/C"), "currency_pair 'A/B/C' is not BASE/QUOTE (e.g. ETH/USD)"),
        (_earlier_query(types=[3, 4]), "unknown candle type 4"),  # no Volume in Jan 2025
        (_earlier_query("DOGE/USD"), "unknown pair DOGE/USD; known: "),
    ],
)
def test_bad_earlier_queries_revert_with_reason(chain, owner, feed, query, reason):
    data = bytes.fromhex("45085f3d") + encode([EARLIER_INPUT_QUERY], [query])
    with pytest.raises(TransactionFailed) as info:
        _call(chain, owner, data)
    assert str(info.value).startswith(f"execution reverted: OGHistorical: {reason}")


def test_template_keeps_model_output_in_storage(built, ids, chain, owner, session, feed):
    executor = owner.deploy(built["VolatilityExecutor"], QM_ID, "open_high_low_close", "CMP/USD")
    empty = executor.getInferenceResult()  # nothing run yet: an empty ModelOutput
    assert [list(part) for part in empty[:3]] == [[], [], []] and empty[3] is False

    receipt = executor.run(sender=owner)
    stamp = chain.blocks[receipt.block_number].timestamp
    candles = feed.candles(*PAIR, 30, 10, stamp)
    values = [getattr(c, f) for c in candles for f in ("open", "high", "low", "close")]
    expected = [("volatility", forecast(session, values), [1])]

    stored = executor.getInferenceResult()
    assert [(t[0], as_numbers(t[1]), list(t[2])) for t in stored[0]] == expected
    assert [list(stored[1]), list(stored[2]), stored[3]] == [[], [], False]
    (event,) = receipt.decode_logs(executor.InferenceResultEmitted)
    assert event.caller == owner.address
    assert [(t[0], as_numbers(t[1]), list(t[2])) for t in event.result[0]] == expected


def test_template_sends_the_candles_as_a_flat_tensor(built, ids, chain, owner, session, feed):
    executor = owner.deploy(
        built["VolatilityExecutor"], WALRUS_ID, "open_high_low_close", "CMP/USD"
    )
    receipt = executor.runOnFlatCandles(sender=owner)
    stamp = chain.blocks[receipt.block_number].timestamp
    candles = feed.candles(*PAIR, 30, 10, stamp)
    values = [getattr(c, f) for c in candles for f in ("open", "high", "low", "close")]
    assert executor.candleCount() == 40
    assert [tuple(executor.lastCandles(i)) for i in range(40)] == values
    assert tuple(executor.flatForecast()) == forecast(session, values)[0]


# ---------------------------------------------------------------- what cannot be served


def test_a_vendored_1_0_model_output_cannot_be_served(built, owner, model_store):
    """Same selector, a `ModelOutput` without `jsons`: the chain cannot tell the caller apart,
    answers today's layout, and the old decoder reverts (docs/compatibility.md)."""
    import ape

    consumer = owner.deploy(built["VendoredConsumer"])
    with ape.reverts():
        consumer.run("upstream_demo", [(1, 0), (2, 0)], sender=owner)
    assert consumer.result() == 0
