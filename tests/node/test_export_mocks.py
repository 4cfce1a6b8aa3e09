"""`ogkit export-mocks` against a real `ogkit node`: the recorded 0xF4 calls, exactly once each."""

from __future__ import annotations

from click.testing import CliRunner
from eth_utils import keccak
from node_support import DEV_KEYS, transact

from ogkit.cli import main

OG_INFERENCE = "0x" + "00" * 19 + "f4"


def _inference_frame(node, tx_hash: str) -> dict:
    top = node.rpc("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
    (frame,) = [call for call in top["calls"] if call["to"] == OG_INFERENCE]
    return frame


def test_exports_each_recorded_call_once_with_its_output(node, w3, gate, tmp_path):
    first = w3.eth.block_number + 1
    words = [["export", "bullish"], ["export", "bullish"], ["other", "bearish", "words"]]
    receipts = [transact(w3, DEV_KEYS[1], gate.functions.submit(w)) for w in words]
    frames = [_inference_frame(node, r["transactionHash"].to_0x_hex()) for r in receipts]
    assert frames[0]["input"] == frames[1]["input"]  # the same call twice: one answer
    out = tmp_path / "test" / "OGInferenceMock.sol"

    result = CliRunner().invoke(
        main, ["export-mocks", "--rpc-url", node.url, "--from-block", str(first), "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    last = w3.eth.block_number
    assert result.output == f"wrote {out}: 2 recorded calls from blocks {first}..{last}\n"
    source = out.read_text()
    assert source.count("if (key == 0x") == 2
    for frame, receipt in ((frames[0], receipts[0]), (frames[2], receipts[2])):
        key = keccak(bytes.fromhex(frame["input"][2:])).hex()
        line = next(x for x in source.splitlines() if f"0x{key}" in x)
        assert f'return hex"{frame["output"][2:]}";' in line
        assert line.endswith(f"// {receipt['transactionHash'].to_0x_hex()}")
    assert receipts[1]["transactionHash"].to_0x_hex() not in source
    assert "etch(address(uint160(0xf4)), type(OGInferenceMock).runtimeCode)" in source


def test_a_range_with_no_inference_and_a_range_past_the_head(node, w3, tmp_path):
    node.rpc("evm_mine")  # a block with no transaction
    head = w3.eth.block_number
    out = tmp_path / "Empty.sol"
    runner = CliRunner()
    empty = runner.invoke(
        main, ["export-mocks", "--rpc-url", node.url, "--from-block", str(head), "--out", str(out)]
    )
    assert empty.exit_code == 0 and "0 recorded calls" in empty.output
    assert "if (key ==" not in out.read_text()
    past = runner.invoke(
        main, ["export-mocks", "--rpc-url", node.url, "--from-block", str(head + 10)]
    )
    assert past.exit_code == 1 and f"is after block {head}" in past.output
