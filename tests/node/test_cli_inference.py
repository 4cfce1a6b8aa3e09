"""`ogkit inference show|list` against a real `ogkit node` process."""

from __future__ import annotations

import json

from click.testing import CliRunner
from node_support import DEV_KEYS, transact

from ogkit.cli import main
from ogkit.inference.receipts import decode_inference_event


def test_show_and_list_a_mined_inference(node, w3, gate):
    receipt = transact(w3, DEV_KEYS[5], gate.functions.submit(["cli", "bullish", "record"]))
    (event,) = [
        decode_inference_event(bytes(log["data"]))
        for log in receipt["logs"]
        if log["address"].lower() == "0x" + "00" * 19 + "f4"
    ]
    runner = CliRunner()

    shown = runner.invoke(main, ["inference", "show", event.inference_id, "--rpc-url", node.url])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.output)
    assert record["inferenceId"].removeprefix("0x") == event.inference_id.removeprefix("0x")
    assert record["modelId"] == "sentiment"
    assert record["mode"] == 0 and record["settlement"] == "not required"
    assert record["transactionHash"] == receipt["transactionHash"].to_0x_hex()

    listed = runner.invoke(main, ["inference", "list", "--blocks", "3", "--rpc-url", node.url])
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if x.startswith(record["inferenceId"]))
    assert line.split("\t")[1:] == [
        str(receipt["blockNumber"]),
        "sentiment",
        "mode 0",
        "not required",
    ]


def test_unknown_inference_and_unreachable_node(node):
    runner = CliRunner()
    missing = runner.invoke(main, ["inference", "show", "0x" + "00" * 32, "--rpc-url", node.url])
    assert missing.exit_code == 1 and "no inference 0x" in missing.output
    down = runner.invoke(main, ["inference", "list", "--rpc-url", "http://127.0.0.1:9"])
    assert down.exit_code == 1 and "cannot reach http://127.0.0.1:9" in down.output
