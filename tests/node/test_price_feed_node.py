"""`ogkit node` serves OGHistorical (0xF5): the synthetic sample by default, a CSV with
`--price-csv`; `ogkit_getPriceFeedRecords` returns the signed records of a block."""

from __future__ import annotations

import subprocess

from eth_abi import decode, encode
from eth_account import Account
from node_support import DEV_KEYS, OGKIT, NodeProcess

from ogkit.pricefeed import PriceDataNode, PriceFeedRecord, SamplePriceSource, recover_signer
from precompiles.historical.precompile import layout
from precompiles.historical.types import CandleType
from precompiles.host import Candle

F5 = "0x00000000000000000000000000000000000000F5"
QUERY = "(string,string,uint32,uint32,uint8,uint8[])"
SELECTOR = bytes.fromhex("f2f08e63")
T0 = 1_704_067_200
CSV = "\n".join(
    ["pair,timestamp,duration_mins,open,high,low,close,volume"]
    + [f"ABC/XYZ,{T0 + i * 300},5,1.{i},2.{i},0.{i + 1},1.5,{i}" for i in range(8)]
)


def send_query(w3, query: tuple) -> dict:
    account = Account.from_key(DEV_KEYS[1])
    data = SELECTOR + encode([QUERY], [query])
    tx = {
        "from": account.address,
        "to": F5,
        "data": "0x" + data.hex(),
        "gas": 200_000,
        "gasPrice": w3.eth.gas_price,
        "nonce": w3.eth.get_transaction_count(account.address),
        "chainId": w3.eth.chain_id,
    }
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    assert receipt.status == 1
    return receipt


def records_of(w3, block_number: int) -> list[PriceFeedRecord]:
    raw = w3.provider.make_request("ogkit_getPriceFeedRecords", [hex(block_number)])["result"]

    def num(n: dict) -> tuple[int, int]:
        return (int(n["value"]), n["decimals"])

    return [
        PriceFeedRecord(
            bytes.fromhex(r["digest"][2:]),
            r["pair"],
            r["durationMins"],
            int(r["blockNumber"], 16),
            int(r["blockTimestamp"], 16),
            tuple(
                Candle(
                    c["openTime"],
                    r["durationMins"],
                    num(c["open"]),
                    num(c["high"]),
                    num(c["low"]),
                    num(c["close"]),
                    num(c["volume"]),
                )
                for c in r["candles"]
            ),
            bytes.fromhex(r["signature"][2:]),
            r["signer"],
        )
        for r in raw
    ]


def test_default_node_serves_the_sample_and_signs_it(w3) -> None:
    receipt = send_query(w3, ("SOL", "USD", 6, 15, 0, [3]))
    timestamp = w3.eth.get_block(receipt.blockNumber).timestamp
    candles = SamplePriceSource().candles("SOL", "USD", 15, 6, timestamp)
    (record,) = records_of(w3, receipt.blockNumber)
    assert (record.pair, record.duration_mins, record.block_timestamp) == ("SOL/USD", 15, timestamp)
    assert record.candles == candles
    assert recover_signer(record) == record.signer == PriceDataNode(SamplePriceSource()).address
    assert records_of(w3, receipt.blockNumber + 1000) == []


def test_node_with_a_csv(tmp_path) -> None:
    from web3 import Web3

    path = tmp_path / "abc.csv"
    path.write_text(CSV + "\n")
    node = NodeProcess(tmp_path, "--price-csv", str(path)).start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        query = ("ABC", "XYZ", 3, 5, 1, [0, 4])
        data = "0x" + (SELECTOR + encode([QUERY], [query])).hex()
        (values,) = decode(["(int128,int128)[]"], w3.eth.call({"to": F5, "data": data}))
        rows = [(f"2.{i}", str(i)) for i in (7, 6, 5)]  # newest first: (high, volume)
        expected = [(int(h.replace(".", "")), 1) for h, _ in rows]
        assert [tuple(v) for v in values][::2] == expected
        assert [tuple(v) for v in values][1::2] == [(7, 0), (6, 0), (5, 0)]
        receipt = send_query(w3, query)
        (record,) = records_of(w3, receipt.blockNumber)
        assert layout(record.candles, 1, [CandleType.High, CandleType.Volume]) == [
            tuple(v) for v in values
        ]
        assert recover_signer(record) == record.signer
    finally:
        node.stop()


def test_node_refuses_a_bad_csv(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("pair,timestamp\nETH/USD,1\n")
    done = subprocess.run(
        [str(OGKIT), "node", "--port", "0", "--price-csv", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "missing column(s) duration_mins, open, high, low, close, volume" in done.stderr


def test_records_follow_evm_revert_and_debug_set_head(w3) -> None:
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    receipt = send_query(w3, ("ETH", "USD", 4, 60, 0, [3]))
    assert records_of(w3, receipt.blockNumber)
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    assert records_of(w3, receipt.blockNumber) == []
    receipt = send_query(w3, ("BTC", "USD", 4, 60, 0, [3]))
    assert records_of(w3, receipt.blockNumber)
    w3.provider.make_request("debug_setHead", [hex(receipt.blockNumber - 1)])
    assert records_of(w3, receipt.blockNumber) == []
