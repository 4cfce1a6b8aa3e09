"""geth's struct logger (the default tracer of `debug_trace*`) on `ogkit node`, step by step
against anvil.

The reference is anvil (npm @foundry-rs/anvil-linux-amd64, run with `--steps-tracing`): the
same contracts, deployed by the same key with the same gas limits, give the same addresses,
and every step's pc, op, gas, gasCost, depth, stack, memory, storage, returnData and refund
must be anvil's, for transactions, calls and edge-case code. Where anvil's JSON differs from
geth's, the node follows geth: memory words and storage slots without `0x`, no `refund` 0, no
empty `memory` or `returnData`, and a CREATE's gasCost without the gas handed to the init code
(anvil counts it).
"""

from __future__ import annotations

import platform
import subprocess
import time

import pytest
from node_support import ROOT, free_port
from struct_log_support import MEMORY, OWNER, TARGET, rpc, run_probe
from web3 import Web3

ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def as_geth(steps: list[dict]) -> list[dict]:
    """anvil's steps in geth's JSON (the node's)."""
    out = []
    for index, step in enumerate(steps):
        step = dict(step)
        if step.get("refund") == 0:
            del step["refund"]
        if step.get("memory") == []:
            del step["memory"]
        if step.get("returnData") == "0x":
            del step["returnData"]
        if "memory" in step:
            step["memory"] = [word.removeprefix("0x") for word in step["memory"]]
        if "storage" in step:
            step["storage"] = {
                k.removeprefix("0x"): v.removeprefix("0x") for k, v in step["storage"].items()
            }
        if step["op"] in ("CREATE", "CREATE2"):  # anvil counts the init code's gas in
            step["gasCost"] -= steps[index + 1]["gas"]
        out.append(step)
    return out


@pytest.fixture(scope="module")
def anvil():
    if platform.machine() not in ("x86_64", "AMD64") or not ANVIL.exists():
        pytest.skip("the npm anvil binary (@foundry-rs/anvil-linux-amd64) is not installed")
    port = free_port()
    process = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--hardfork", "prague", "--steps-tracing", "--silent"],
        start_new_session=True,
    )
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 60}))
    deadline = time.monotonic() + 30
    while not w3.is_connected():
        assert time.monotonic() < deadline and process.poll() is None, "anvil did not start"
        time.sleep(0.1)
    yield w3
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def on_anvil(anvil):
    return run_probe(anvil)


@pytest.mark.parametrize("tx", ["Leaf", "Probe", "work", "fail"])
@pytest.mark.parametrize("options", [{}, MEMORY], ids=["default", "memory"])
def test_struct_logs_are_anvils_step_by_step(w3, anvil, on_node, on_anvil, tx, options):
    assert on_node["addresses"] == on_anvil["addresses"]
    ours = rpc(w3, "debug_traceTransaction", on_node["hashes"][tx].to_0x_hex(), options)
    theirs = rpc(anvil, "debug_traceTransaction", on_anvil["hashes"][tx].to_0x_hex(), options)
    assert len(ours["structLogs"]) == len(theirs["structLogs"]) > 10
    for index, (step, reference) in enumerate(
        zip(ours["structLogs"], as_geth(theirs["structLogs"]), strict=True)
    ):
        assert step == reference, index
    assert {k: ours[k] for k in ("gas", "failed", "returnValue")} == {
        k: theirs[k] for k in ("gas", "failed", "returnValue")
    }
    receipt = w3.eth.get_transaction_receipt(on_node["hashes"][tx])
    assert ours["gas"] == receipt.gasUsed
    assert ours["failed"] is (receipt.status == 0)


def test_trace_call_struct_logs_are_anvils(w3, anvil, on_node, on_anvil):
    call = {
        "from": OWNER.address,
        "to": on_node["addresses"]["Probe"],
        "gas": hex(300_000),
        "data": on_node["probe"].encode_abi("fail", []),
    }
    ours = rpc(w3, "debug_traceCall", call, "latest", MEMORY)
    theirs = rpc(anvil, "debug_traceCall", call, "latest", MEMORY)
    assert ours["structLogs"] == as_geth(theirs["structLogs"])
    assert ours["failed"] is theirs["failed"] is True
    assert ours["returnValue"] == theirs["returnValue"]
    assert ours["returnValue"].startswith("0x08c379a0")  # Error("nope")


EDGE_CODE = {
    "staticcall to the sha256 precompile": "0x60206000600060006002620186a0fa00",
    "call with value to an account without code": "0x600060006000600060017312"
    + "12" * 19
    + "61fffff100",
    "PUSH3 past the code's end": "0x6001600262",
    "SSTORE, then clearing it (a refund)": "0x6001600055600060005500",
    "SELFDESTRUCT": "0x73" + "34" * 20 + "ff",
    "CREATE2": "0x7f600a600c600039600a6000f3" + "00" * 19 + "60005260006020600060f500",
    "RETURNDATACOPY after a precompile": "0x60206000600060006002620186a0fa3d6000600039596000f3",
}


@pytest.mark.parametrize("code", EDGE_CODE.values(), ids=EDGE_CODE.keys())
def test_call_struct_logs_are_anvils(node, anvil, code):
    for client in (node.rpc, lambda method, *params: rpc(anvil, method, *params)):
        client("anvil_setCode", TARGET, code)
        client("anvil_setBalance", TARGET, "0x10")
    call = {"from": "0x" + "11" * 20, "to": TARGET, "gas": hex(200_000)}
    ours = node.rpc("debug_traceCall", call, "latest", MEMORY)
    theirs = rpc(anvil, "debug_traceCall", call, "latest", MEMORY)
    assert ours["structLogs"] == as_geth(theirs["structLogs"])
    assert [ours[k] for k in ("gas", "failed", "returnValue")] == [
        theirs[k] for k in ("gas", "failed", "returnValue")
    ]
