"""OGHistorical (0xF5) and the PriceHistoryInference template on `opengradient:local`.

Contracts call the real precompile; candles come from the provider's data node: the shipped
synthetic sample (checked against what the Python data node returns for the same block) and
a CSV fixture written here (checked against exact Numbers). Model outputs are checked
against onnxruntime run directly on the same candles.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import ape
import numpy as np
import onnxruntime as ort
import pytest
from compat_support import interface_abi
from eth_abi import encode
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector, to_canonical_address

from ogkit.pricefeed import CsvPriceSource, SamplePriceSource, recover_signer
from precompiles.fixed_point import from_array
from precompiles.historical.precompile import layout
from precompiles.historical.types import CandleType
from precompiles.host import CallContext
from precompiles.inference.models import make_inference_id
from precompiles.inference.types import ModelInferenceMode

REFERENCE_ABI = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "abi"
) / "PriceHistoryInference.abi.json"
OG_HISTORICAL = "0x00000000000000000000000000000000000000F5"
QUERY = "(string,string,uint32,uint32,uint8,uint8[])"
OHLC = [2, 0, 1, 3]  # Open, High, Low, Close: the volatility model's column order
HOUR = 3600
T0 = 1_704_067_200  # 2024-01-01T00:00Z: long closed by any block of this chain
# A pair only this module's CSV knows ("TST/USD"): 12 hourly candles, and one that opens in
# 2100 (never closed by a block here, so never served).
CSV_ROWS = [
    ("100.5", "101.25", "99.75", "101", "12.5"),
    ("101", "102", "100", "101.5", "10"),
    ("101.5", "101.5", "98.125", "98.5", "30.25"),
    ("98.5", "99", "97", "98.75", "11"),
    ("98.75", "100", "98.5", "99.99", "9.5"),
    ("99.99", "103", "99.5", "102.75", "40"),
    ("102.75", "104.5", "102", "104", "21"),
    ("104", "104", "101", "101.125", "17"),
    ("101.125", "102", "100.5", "101.5", "8"),
    ("101.5", "101.75", "99", "99.5", "19.75"),
    ("99.5", "100.25", "99.25", "100", "13"),
    ("100", "100.5", "99.875", "100.25", "6.5"),
]
COLUMN = {
    CandleType.Open: 0,
    CandleType.High: 1,
    CandleType.Low: 2,
    CandleType.Close: 3,
    CandleType.Volume: 4,
}


def number(text: str) -> tuple[int, int]:
    sign, digits, exponent = Decimal(text).normalize().as_tuple()
    value = int("".join(map(str, digits))) * (-1 if sign else 1)
    return (value * 10**exponent, 0) if exponent >= 0 else (value, -exponent)


def numbers(values) -> list[tuple[int, int]]:
    return [(int(v[0]), int(v[1])) for v in values]  # Ape gives nested structs as tuples


def output_numbers(output) -> list[tuple[str, list[tuple[int, int]], list[int]]]:
    return [(t[0], numbers(t[1]), list(t[2])) for t in output[0]]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def feed(chain, tmp_path_factory):
    """The provider's data node, which also serves the CSV fixture's pair from now on."""
    node = chain.provider.price_feed
    if "TST/USD" not in node.pairs():
        lines = ["pair,timestamp,duration_mins,open,high,low,close,volume"]
        lines += [f"TST/USD,{T0 + i * HOUR},60,{','.join(r)}" for i, r in enumerate(CSV_ROWS)]
        lines.append("TST/USD,4102444800,60,1,1,1,1,1")
        path = tmp_path_factory.mktemp("prices") / "tst.csv"
        path.write_text("\n".join(lines) + "\n")
        node.add_source(CsvPriceSource.load(path))
    return node


@pytest.fixture(scope="module")
def probe(project, owner, feed, model_store):
    return owner.deploy(project.PriceFeedProbe)


@pytest.fixture(scope="module")
def session(model_store):
    data = model_store.read(model_store.resolve("volatility"))
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def block_timestamp(chain, receipt) -> int:
    return chain.blocks[receipt.block_number].timestamp


def onnx_forecast(session, candles) -> list[tuple[int, int]]:
    """onnxruntime on the candles' exact decimals as float32 (open, high, low, close)."""
    rows = [
        [float(Decimal(v).scaleb(-d)) for v, d in (c.open, c.high, c.low, c.close)] for c in candles
    ]
    (out,) = session.run(["volatility"], {"open_high_low_close": np.array(rows, dtype=np.float32)})
    return list(from_array(out))


# --------------------------------------------------------------------------- the ABI


def test_template_abi_is_the_published_one(project) -> None:
    """The compiled ABI equals the SDK's JSON entry for entry (names, types, internal types,
    indexed flags, mutability), so selectors and the event topic are the published ones."""
    if not REFERENCE_ABI.exists():
        pytest.skip(f"reference ABI not found at {REFERENCE_ABI} (shared/ not beside the repo)")
    reference = json.loads(REFERENCE_ABI.read_text())
    contract_type = project.PriceHistoryInference.contract_type
    compiled = contract_type.model_dump(mode="json", by_alias=True, exclude_none=True)["abi"]

    def canonical(abis) -> list[str]:
        return sorted(json.dumps(item, sort_keys=True) for item in abis)

    assert canonical(compiled) == canonical(reference)
    selectors = {
        a["name"]: "0x" + function_abi_to_4byte_selector(a).hex()
        for a in compiled
        if a["type"] == "function"
    }
    assert selectors == {  # reference section 9
        "getInferenceResult": "0x1b9fc701",
        "getLastInferenceResults": "0x9e30396c",
        "modelId": "0x43cdaad2",
        "inputName": "0x55497011",
        "inputQuery": "0xc4c71aac",
        "historicalContract": "0xdf958cf6",
        "run": "0xc0406226",
    }
    (event,) = [a for a in compiled if a["type"] == "event"]
    assert "0x" + event_abi_to_log_topic(event).hex() == (
        "0x5a1ed425a160d1bc929890b991acc0e3d25a6f5db1ac65c07ee4c917708f76d4"
    )


def test_interface_selectors_are_the_published_ones(project) -> None:
    abi = project.PriceFeedProbe.contract_type.model_dump(mode="json", by_alias=True)["abi"]
    del abi  # the probe only proves the interface compiles; check OGHistorical itself
    interface = interface_abi("OGHistorical")
    selectors = {a["name"]: "0x" + function_abi_to_4byte_selector(a).hex() for a in interface}
    assert selectors == {
        "queryHistoricalCandles": "0xf2f08e63",
        "runInferenceOnPriceFeed": "0xa192a0f9",
    }


# --------------------------------------------------------------------------- queryHistoricalCandles


@pytest.mark.parametrize("order", [0, 1])
def test_query_from_a_contract_returns_the_csv_candles(probe, owner, order) -> None:
    types = [2, 0, 1, 3, 4]
    probe.query(("TST", "USD", 10, 60, order, types), sender=owner)
    rows = CSV_ROWS[-10:] if order == 0 else CSV_ROWS[-10:][::-1]
    expected = [number(row[COLUMN[CandleType(t)]]) for row in rows for t in types]
    assert numbers(probe.lastValues()) == expected
    assert numbers(probe.query.call(("TST", "USD", 10, 60, order, types))) == expected


@pytest.mark.parametrize("pair", [("ETH", "USD"), ("BTC", "USD"), ("SUI", "USD"), ("ETH", "USDT")])
def test_query_on_the_sample_set_matches_the_data_node(chain, probe, owner, feed, pair) -> None:
    receipt = probe.query((*pair, 24, 30, 1, [3, 4]), sender=owner)
    timestamp = block_timestamp(chain, receipt)
    candles = SamplePriceSource().candles(*pair, 30, 24, timestamp)
    assert candles == feed.candles(*pair, 30, 24, timestamp)
    assert numbers(probe.lastValues()) == layout(candles, 1, [CandleType.Close, CandleType.Volume])
    # The data node signed what it served in that block.
    (record,) = [r for r in feed.records(receipt.block_number) if r.pair == "/".join(pair)]
    assert record.candles == candles and record.block_timestamp == timestamp
    assert recover_signer(record) == feed.address == record.signer


def test_gas_is_the_documented_formula(chain, owner, feed) -> None:
    """Receipt gas of a tx straight to 0xF5: intrinsic (with the EIP-7623 floor) plus
    HISTORICAL_BASE + 50 per served value."""
    w3 = chain.provider.web3
    for total, types in [(12, [2, 0, 1, 3, 4]), (3, [3])]:
        data = bytes.fromhex("f2f08e63") + encode([QUERY], [("TST", "USD", total, 60, 0, types)])
        zeros = data.count(0)
        nonzeros = len(data) - zeros
        execution = 5_000 + 50 * total * len(types)
        expected = max(
            21_000 + 4 * zeros + 16 * nonzeros + execution,
            21_000 + 10 * (zeros + 4 * nonzeros),
        )
        tx = {"from": owner.address, "to": OG_HISTORICAL, "data": "0x" + data.hex()}
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
        assert (receipt["status"], receipt["gasUsed"]) == (1, expected)
        assert w3.eth.estimate_gas(tx) >= expected  # eth-tester's estimate leaves headroom


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (("DOGE", "USD", 10, 60, 0, OHLC), "OGHistorical: unknown pair DOGE/USD; known: "),
        (("TST", "USD", 10, 60, 0, [2, 9]), "OGHistorical: unknown candle type 9"),
        (("TST", "USD", 10, 60, 2, OHLC), "OGHistorical: unknown candle order 2"),
        (("TST", "USD", 0, 60, 0, OHLC), "OGHistorical: total_candles 0 outside [1, 1000]"),
        (("TST", "USD", 1001, 60, 0, OHLC), "OGHistorical: total_candles 1001 outside [1, 1000]"),
        (
            ("TST", "USD", 10, 15, 0, OHLC),
            "OGHistorical: candle duration 15m not available for TST/USD; available: 60m",
        ),
        (
            ("ETH", "USD", 10, 7, 0, OHLC),
            "OGHistorical: candle duration 7m not available for ETH/USD",
        ),
        (
            ("TST", "USD", 13, 60, 0, OHLC),
            "OGHistorical: not enough history for TST/USD 60m: 12 candles closed by ",
        ),
        (("TST", "USD", 10, 60, 0, []), "OGHistorical: candle_types is empty"),
    ],
)
def test_bad_queries_revert_with_reason(probe, owner, query, reason) -> None:
    with ape.reverts(expected_message=lambda m: m.startswith(reason)):
        probe.query(query, sender=owner)


def test_malformed_calldata_reverts_readably(chain, owner) -> None:
    from eth_tester.exceptions import TransactionFailed

    w3 = chain.provider.web3
    cases = {
        "0xf2f08e63" + "00" * 31: "OGHistorical: malformed calldata: calldata too short",
        "0xa192a0f9ff": "OGHistorical: malformed calldata: calldata too short",
        "0xf2f08e63" + "00" * 31 + "20" + "ff" * 32: "OGHistorical: malformed calldata: ",
        "0x12345678": "OGHistorical: unknown function selector 0x12345678",
    }
    for data, reason in cases.items():
        with pytest.raises(TransactionFailed) as info:
            w3.eth.call(
                {"from": owner.address, "to": OG_HISTORICAL, "data": data, "gas": 1_000_000}
            )
        assert str(info.value).startswith(f"execution reverted: {reason}")


def test_bad_inference_requests_revert(probe, owner) -> None:
    with ape.reverts("OGHistorical: model not found: nope"):
        probe.infer("nope", "open_high_low_close", ("ETH", "USD", 10, 60, 0, OHLC), sender=owner)
    with ape.reverts(
        "OGHistorical: input 'open_high_low_close' has shape [10, 5], model expects [10, 4]"
    ):
        probe.infer(
            "volatility", "open_high_low_close", ("ETH", "USD", 10, 60, 0, [*OHLC, 4]), sender=owner
        )


# ------------------------------------------------------------------- runInferenceOnPriceFeed


def test_inference_on_the_price_feed_is_onnxruntime_exactly(
    chain, probe, owner, feed, session
) -> None:
    engine = chain.provider.inference_engine
    query = ("ETH", "USD", 10, 60, 0, OHLC)
    receipt = probe.infer("volatility", "open_high_low_close", query, sender=owner)
    timestamp = block_timestamp(chain, receipt)
    candles = feed.candles("ETH", "USD", 60, 10, timestamp)
    expected = [("volatility", onnx_forecast(session, candles), [1])]
    assert output_numbers(probe.lastOutput()) == expected
    assert not probe.lastOutput().is_simulation_result
    # No 0xF5 event (upstream documents none), but a VANILLA inference record with its id.
    assert [log for log in receipt.logs if log["address"].lower() == OG_HISTORICAL.lower()] == []
    model = engine.resolve("volatility")
    args = encode(["string", "string", QUERY], ["volatility", "open_high_low_close", query])
    context = CallContext(
        to_canonical_address(probe.address),
        to_canonical_address(owner.address),
        receipt.block_number,
        timestamp,
        0,
        origin_nonce=receipt.nonce + 1,  # as the EVM left it when the call ran
        call_index=0,  # the transaction's first precompile call
    )
    record = engine.records[make_inference_id(context, model, args)]
    assert record.mode is ModelInferenceMode.VANILLA and record.block_number == receipt.block_number
    assert record.model_hash == model.model_hash


# --------------------------------------------------------------------------- the template


def test_price_history_inference_keeps_history_newest_first(
    chain, project, owner, accounts, feed, session
):
    query = ("ETH", "USD", 10, 1, 0, OHLC)
    workflow = owner.deploy(
        project.PriceHistoryInference, "volatility", "open_high_low_close", query
    )
    assert workflow.modelId() == "volatility"
    assert workflow.inputName() == "open_high_low_close"
    assert tuple(workflow.inputQuery()) == ("ETH", "USD", 10, 1, 0)
    assert workflow.historicalContract() == OG_HISTORICAL
    assert workflow.getLastInferenceResults(3) == []
    # before the first run, upstream's template returns an empty ModelOutput
    empty = workflow.getInferenceResult()
    assert [list(part) for part in empty[:3]] == [[], [], []] and empty[3] is False

    expected = []
    for i, caller in enumerate([owner, accounts[1], owner]):
        chain.mine(timestamp=chain.pending_timestamp + 300 * (i + 1))  # new 1m candles
        receipt = workflow.run(sender=caller)
        candles = feed.candles("ETH", "USD", 1, 10, block_timestamp(chain, receipt))
        forecast = [("volatility", onnx_forecast(session, candles), [1])]
        (event,) = receipt.decode_logs(workflow.InferenceResultEmitted)
        assert event.caller == caller
        assert output_numbers(event.result) == forecast
        expected.append(forecast)
    assert len({json.dumps(e) for e in expected}) == 3  # the candles moved between runs

    assert output_numbers(workflow.getInferenceResult()) == expected[-1]
    newest_first = [output_numbers(o) for o in workflow.getLastInferenceResults(2)]
    assert newest_first == expected[::-1][:2]
    everything = [output_numbers(o) for o in workflow.getLastInferenceResults(10)]
    assert everything == expected[::-1]


def test_a_scheduled_price_history_workflow_runs_and_keeps_its_history(
    chain, project, owner, feed, session
):
    """The SDK's workflow shape end to end: the template registered with the TaskScheduler at
    its alpha address, run by the chain itself on schedule, its history read back."""
    from eth_keys import keys

    from ogkit.chain.genesis import SCHEDULER_SYSTEM_KEY, TASK_SCHEDULER_ADDRESS

    system = keys.PrivateKey(SCHEDULER_SYSTEM_KEY).public_key.to_checksum_address()
    scheduler = project.TaskScheduler.at(TASK_SCHEDULER_ADDRESS)
    workflow = owner.deploy(
        project.PriceHistoryInference,
        "volatility",
        "open_high_low_close",
        ("ETH", "USD", 10, 1, 0, OHLC),
    )
    every = 600  # ten minutes: ten new 1m candles between runs
    start = chain.blocks.head.timestamp
    scheduler.registerTask(workflow, start + 10 * every, every, sender=owner)

    expected = []
    for i in range(3):
        if i:
            chain.pending_timestamp = chain.blocks.head.timestamp + every
        chain.mine()
        block = chain.blocks.head
        (run,) = block.transactions
        assert run.sender == system and run.receiver == workflow.address
        candles = feed.candles("ETH", "USD", 1, 10, block.timestamp)
        expected.append([("volatility", onnx_forecast(session, candles), [1])])
    assert len({json.dumps(e) for e in expected}) == 3

    newest_first = [output_numbers(o) for o in workflow.getLastInferenceResults(10)]
    assert newest_first == expected[::-1]
    scheduler.stopTask(workflow, sender=owner)
    chain.pending_timestamp = chain.blocks.head.timestamp + every
    chain.mine()
    assert len(workflow.getLastInferenceResults(10)) == 3  # stopped


def test_a_snapshot_revert_takes_the_price_feed_records_of_its_blocks(chain, probe, owner, feed):
    snapshot = chain.snapshot()
    receipt = probe.query(("ETH", "USD", 4, 60, 1, [3]), sender=owner)
    assert feed.records(receipt.block_number)
    chain.restore(snapshot)
    assert feed.records(receipt.block_number) == []
    # the block made again is recorded again (what a replay skips on went too)
    again = probe.query(("ETH", "USD", 4, 60, 1, [3]), sender=owner)
    assert again.block_number == receipt.block_number
    assert [r.pair for r in feed.records(again.block_number)] == ["ETH/USD"]
