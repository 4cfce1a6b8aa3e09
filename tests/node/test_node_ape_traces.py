"""Ape's traces through `opengradient:local:node` in a project `ogkit init` made.

`ape test --gas` runs in a process of its own on a node the provider starts: the gas table
names the user's functions and 0xF4's `runModelInference` (from the callTracer call trees),
and inside the test Ape's struct-log features work on the node's struct logger: the raw
frames Ape asks for (`enableMemory`), the call tree Ape builds from them
(`TraceApproach.GETH_STRUCT_LOG_PARSE`, the same calls as callTracer's), its return value
and revert message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from node_support import free_port

ECHO = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./Forecaster.sol";

contract Echo {
    uint256 public stored;
    function refuse(uint256 v) external { stored = v; require(v < 10, "too big"); }
    function viaForecaster(Forecaster f, TensorLib.Number[] memory prices)
        external returns (int128)
    {
        f.forecast(prices);
        return f.value();
    }
}
"""

TRACE_TEST = """
from ape_ethereum.trace import CallTrace, TraceApproach, TransactionTrace

PRICES = [(1005, 1), (10125, 2), (9975, 2), (102, 0)]


def flat(node, depth=0):
    yield [depth, node.call_type.value, bytes(node.address).hex(), bytes(node.calldata[:4]).hex()]
    for call in node.calls:
        yield from flat(call, depth + 1)


def as_call(owner, contract, data):
    return {"from": owner.address, "to": contract.address, "data": "0x" + bytes(data).hex()}


def test_struct_log_traces(accounts, project):
    owner = accounts[0]
    echo = owner.deploy(project.Echo)
    forecaster = owner.deploy(project.Forecaster, "forecaster")
    receipt = echo.viaForecaster(forecaster, PRICES, sender=owner)
    assert receipt.return_value == 102525
    frames = list(receipt.trace.get_raw_frames())
    by_struct_logs = TransactionTrace(
        transaction_hash=receipt.txn_hash,
        call_trace_approach=TraceApproach.GETH_STRUCT_LOG_PARSE,
    )
    by_call_tracer = TransactionTrace(
        transaction_hash=receipt.txn_hash, call_trace_approach=TraceApproach.GETH_CALL_TRACER
    )
    tree = list(flat(by_struct_logs.get_calltree()))
    assert tree == list(flat(by_call_tracer.get_calltree()))
    assert by_struct_logs.return_value == (102525,)
    bad = echo.refuse(11, sender=owner, raise_on_revert=False, gas=200_000)
    assert bad.status == 0
    failed = TransactionTrace(
        transaction_hash=bad.txn_hash, call_trace_approach=TraceApproach.GETH_STRUCT_LOG_PARSE
    )
    assert failed.revert_message == "too big"
    echo.refuse(5, sender=owner)
    # Ape's trace of an eth_call: debug_traceCall with the default struct logger
    call = CallTrace(tx=as_call(owner, echo, echo.stored.encode_input()), arguments=["latest"])
    assert int(call.return_value, 16) == 5 and call.get_calltree().failed is False
    refused = CallTrace(tx=as_call(owner, echo, echo.refuse.encode_input(12)), arguments=["latest"])
    assert refused.return_value.startswith("0x08c379a0")  # Error("too big")
    assert refused.get_calltree().failed is True
    print("FRAMES", len(frames), sum("memory" in f for f in frames), frames[-1]["op"])
    print("TREE", tree)
"""


def test_ape_test_gas_and_struct_logs_through_the_node(tmp_path: Path):
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k != "OGKIT_MODEL_STORE"}
    root = tmp_path / "traced"
    subprocess.run(
        [str(bin_dir / "ogkit"), "init", str(root)], cwd=tmp_path, env=env, check=True,
        capture_output=True, timeout=600,
    )  # fmt: skip
    with (root / "ape-config.yaml").open("a") as config:
        config.write(
            f"\nnode:\n  opengradient:\n    local:\n      uri: http://127.0.0.1:{free_port()}\n"
        )
    (root / "contracts" / "Echo.sol").write_text(ECHO)
    (root / "tests" / "test_traces.py").write_text(TRACE_TEST)
    done = subprocess.run(
        [str(bin_dir / "ape"), "test", "--gas", "--network", "opengradient:local:node",
         "-s", "-p", "no:cacheprovider"],
        cwd=root, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, (out[-6000:], done.stderr[-4000:])
    assert "2 passed" in out, out[-4000:]
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()}
    assert rows["forecast"][0] == "2"  # the template's test and Echo's call
    assert rows["viaForecaster"][0] == "1"
    assert rows["runModelInference"][0] == "2", out
    assert "Forecaster Gas" in out and "OGInference Gas" in out and "Echo Gas" in out
    assert "No gas usage data found" not in out
    frames, with_memory, last = re.search(r"FRAMES (\d+) (\d+) (\w+)", out).groups()
    # every frame's memory is empty until its third step's MSTORE: 4 frames (0xF4 has none)
    assert (int(frames), int(with_memory), last) == (3853, 3853 - 4 * 3, "RETURN")
    tree = re.search(r"TREE (.*)", out).group(1)
    assert "'00000000000000000000000000000000000000f4', '7289e9c2'" in tree
    assert tree.count("STATICCALL") == 1 and tree.count("'CALL'") == 3
