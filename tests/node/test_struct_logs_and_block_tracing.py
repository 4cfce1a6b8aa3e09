"""geth's struct logger and block tracing on `ogkit node` alone: exact values where anvil is
no reference.

A small transaction's steps by hand; the tracer options (memory, return data, stack, storage,
limit); an inference transaction traced from the result cache; `debug_traceBlockByNumber`/
`ByHash`; bad requests answered with geth's errors; the output and step caps; the last step of
a failing call as geth logs it; and `stateOverrides` in `debug_traceCall`.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from node_support import DEV_KEYS, SENTIMENT_WORDS, RpcFailure, transact
from struct_log_support import MEMORY, OWNER, TARGET, rpc, send

MEMORY_HOG = "0x6220000051" + "5b600556"
"""MLOAD at 2 MiB (memory grows to 2 MiB + 32 bytes), then JUMPDEST PUSH1 5 JUMP forever."""


def test_the_steps_of_a_small_transaction(w3, on_node):
    """Exact values by hand, the `fail` transaction's storage write and revert."""
    trace = rpc(w3, "debug_traceTransaction", on_node["hashes"]["fail"].to_0x_hex())
    steps = trace["structLogs"]
    first = steps[0]
    assert first == {"pc": 0, "op": "PUSH1", "gas": 78_936, "gasCost": 3, "depth": 1, "stack": []}
    assert steps[1]["stack"] == ["0x80"] and steps[1]["gas"] == first["gas"] - 3
    (store,) = [step for step in steps if step["op"] == "SSTORE"]
    slot_0 = "00" * 32
    assert store["storage"] == {slot_0: "00" * 31 + "01"}
    assert store["stack"][-2:] == ["0x1", "0x0"]
    assert store["gasCost"] == 5_000  # cold slot (2100), nonzero (3, from `work`) -> 1 (2900)
    assert steps[-1]["op"] == "REVERT" and "error" not in steps[-1]
    assert all("memory" not in step and "refund" not in step for step in steps)
    assert trace["failed"] is True


def test_options(w3, on_node):
    tx = on_node["hashes"]["work"].to_0x_hex()
    full = rpc(w3, "debug_traceTransaction", tx, MEMORY)["structLogs"]
    plain = rpc(w3, "debug_traceTransaction", tx)["structLogs"]
    assert [strip(s, "memory", "returnData") for s in full] == plain
    assert any("memory" in step for step in full) and any("returnData" in step for step in full)
    no_stack = rpc(w3, "debug_traceTransaction", tx, {"disableStack": True})["structLogs"]
    assert no_stack == [strip(s, "stack") for s in plain]
    no_storage = rpc(w3, "debug_traceTransaction", tx, {"disableStorage": True})["structLogs"]
    assert no_storage == [strip(s, "storage") for s in plain]
    # m[i] = 3 SSTOREs, total += i: 3 SLOADs and SSTOREs, delete m[0], Leaf's x = 3
    assert sum("storage" in step for step in plain) == 11
    limited = rpc(w3, "debug_traceTransaction", tx, {"limit": 7})
    assert limited["structLogs"] == plain[:7]
    assert limited["gas"] == rpc(w3, "debug_traceTransaction", tx)["gas"]
    callers = rpc(w3, "debug_traceTransaction", tx, {"tracer": "callTracer"})
    assert callers["type"] == "CALL" and len(callers["calls"]) == 3


def strip(step: dict, *keys: str) -> dict:
    return {k: v for k, v in step.items() if k not in keys}


def test_inference_trace_reads_the_cache(node, w3, gate):
    """A struct-log trace of an inference transaction runs no model: the engines' result
    cache answers 0xF4, as for the call tracer."""
    words = [*SENTIMENT_WORDS, f"structlog{time.monotonic_ns()}"]
    receipt = transact(w3, DEV_KEYS[0], gate.functions.submit(words))
    assert receipt.status == 1
    before = node.rpc("ogkit_inferenceStats")
    trace = node.rpc("debug_traceTransaction", receipt.transactionHash.to_0x_hex(), MEMORY)
    by_block = node.rpc("debug_traceBlockByNumber", hex(receipt.blockNumber))
    after = node.rpc("ogkit_inferenceStats")
    assert after["modelRuns"] == before["modelRuns"]
    assert after["traceModelRuns"] == before["traceModelRuns"]
    assert after["traceCacheHits"] == before["traceCacheHits"] + 2
    calls = [s for s in trace["structLogs"] if s["op"] == "CALL" and s["stack"][-2] == "0xf4"]
    assert len(calls) == 1 and calls[0]["depth"] == 1
    assert trace["gas"] == receipt.gasUsed and trace["failed"] is False
    assert by_block == [
        {"txHash": receipt.transactionHash.to_0x_hex(), "result": strip_memory(trace)}
    ]


def strip_memory(trace: dict) -> dict:
    steps = [strip(s, "memory", "returnData") for s in trace["structLogs"]]
    return {**trace, "structLogs": steps}


def trace_of(node: Any, tx_hash: bytes, options: dict) -> Any:
    return node.rpc("debug_traceTransaction", tx_hash.to_0x_hex(), options)


def test_block_tracing(node, w3, on_node):
    assert node.rpc("evm_setAutomine", False) is None
    try:
        first = send(w3, on_node["probe"].functions.fail(), gas=100_000, wait=False)
        leaf = on_node["addresses"]["Leaf"]
        second = send(w3, to=leaf, value=0, data="0x0c55699c", gas=50_000, wait=False)
    finally:
        node.rpc("evm_mine")
        node.rpc("evm_setAutomine", True)
    block = w3.eth.get_transaction_receipt(first).blockNumber
    assert w3.eth.get_transaction_receipt(second).blockNumber == block
    header = w3.eth.get_block(block)
    for tracer in ({}, {"tracer": "callTracer"}):
        by_number = node.rpc("debug_traceBlockByNumber", hex(block), tracer)
        by_hash = node.rpc("debug_traceBlockByHash", header.hash.to_0x_hex(), tracer)
        expected = [
            {"txHash": h.to_0x_hex(), "result": trace_of(node, h, tracer)} for h in (first, second)
        ]
        assert by_number == by_hash == expected
    latest = node.rpc("debug_traceBlockByNumber", "latest", {"tracer": "callTracer"})
    assert [t["txHash"] for t in latest] == [first.to_0x_hex(), second.to_0x_hex()]


@pytest.mark.parametrize(
    ("method", "params", "code", "message"),
    [
        ("debug_traceTransaction", [{"tracer": "fooTracer"}], -32602, "'fooTracer' not found"),
        (
            "debug_traceTransaction",
            [{"enableMemory": "yes"}],
            -32602,
            "invalid argument 1: json: cannot unmarshal string into Go struct field "
            "TraceConfig.enableMemory of type bool",
        ),
        (
            "debug_traceTransaction",
            [{"limit": "10"}],
            -32602,
            "invalid argument 1: json: cannot unmarshal string into Go struct field "
            "TraceConfig.limit of type int",
        ),
        ("debug_traceTransaction", [[1]], -32602, "the trace options must be an object"),
        ("debug_traceBlockByNumber", ["0xffffff"], -32000, "block #16777215 not found"),
        ("debug_traceBlockByNumber", ["earliest"], -32000, "genesis is not traceable"),
        (
            "debug_traceCall",
            [{}, "latest", {"disableStack": 1}],
            -32602,
            "invalid argument 2: json: cannot unmarshal number into Go struct field "
            "TraceConfig.disableStack of type bool",
        ),
        ("debug_traceBlockByHash", ["0x" + "ab" * 32], -32000, f"block 0x{'ab' * 32} not found"),
        ("debug_traceBlockByNumber", ["0x1", {"tracer": 5}], -32602, "'5' not found"),
        ("debug_traceBlockByHash", ["0x12"], -32602, "block hash"),
    ],
)
def test_bad_requests(node, on_node, method, params, code, message):
    if method == "debug_traceTransaction":
        params = [on_node["hashes"]["work"].to_0x_hex(), *params]
    if method == "debug_traceCall":
        params = [{"to": on_node["addresses"]["Leaf"]}, *params[1:]]
    with pytest.raises(RpcFailure) as failure:
        node.rpc(method, *params)
    assert failure.value.code == code
    assert message in failure.value.message
    assert int(node.rpc("eth_blockNumber"), 16) > 0  # still serving


def test_output_is_capped(node, w3):
    """Memory dumps of a 2 MiB memory at every step, or steps without end: the node refuses
    with a clear error before building the output, and keeps serving."""
    hog = "0x" + "77" * 20
    node.rpc("anvil_setCode", hog, MEMORY_HOG)
    call = {"from": OWNER.address, "to": hog, "gas": hex(30_000_000)}
    started = time.monotonic()
    with pytest.raises(RpcFailure) as too_big:
        node.rpc("debug_traceCall", call, "latest", {"enableMemory": True})
    assert too_big.value.code == -32000
    assert too_big.value.message.startswith("trace output exceeds 67108864 bytes")
    assert time.monotonic() - started < 10
    with pytest.raises(RpcFailure) as too_long:
        node.rpc("debug_traceCall", call, "latest", {})
    message = too_long.value.message
    assert message.startswith("trace has more than 200000 steps") or message.startswith(
        "execution aborted (timeout = "
    )
    call["gas"] = hex(8_700_000)  # the memory costs 8_586_244: the loop ends soon
    few = node.rpc("debug_traceCall", call, "latest", {"limit": 4})
    assert [s["op"] for s in few["structLogs"]] == ["PUSH3", "MLOAD", "JUMPDEST", "PUSH1"]
    assert few["structLogs"][1]["gasCost"] == 3 + 3 * 65537 + 65537**2 // 512
    assert int(node.rpc("eth_blockNumber"), 16) > 0


FAILING_STEPS = {
    # code, gas: the last step's op, gasCost and error as geth logs them (anvil's errors
    # read "Some(OutOfGas)" and its costs differ: it is not the reference here)
    "out of gas in a loop": ("0x5b600056", 30_000, "JUMPDEST", 1, "out of gas"),
    "stack underflow": ("0x600101", 100_000, "ADD", 3, "stack underflow (1 <=> 2)"),
    "stack overflow": ("0x" + "5f" * 1025, 100_000, "PUSH0", 2, "stack limit reached 1024 (1023)"),
    "invalid opcode (found as it runs)": ("0x6001fe", 100_000, "INVALID", 0, None),
    "invalid jump (found as it runs)": ("0x600356", 100_000, "JUMP", 8, None),
    "memory too dear": ("0x6301000000510000", 100_000, "MLOAD", 3 + 538_445_827, "out of gas"),
    "memory past uint64": (
        "0x7f" + "ff" * 32 + "51",
        100_000,
        "MLOAD",
        3,
        "out of gas: gas uint64 overflow",
    ),
    "SSTORE below the sentry": (
        "0x6001600055",
        21_000 + 6 + 2_300,
        "SSTORE",
        0,
        "out of gas: not enough gas for reentrancy sentry",
    ),
}


@pytest.mark.parametrize("case", FAILING_STEPS.values(), ids=FAILING_STEPS.keys())
def test_failing_steps_as_geth_logs_them(node, case):
    code, gas, op, cost, error = case
    node.rpc("anvil_setCode", TARGET, code)
    call = {"from": "0x" + "11" * 20, "to": TARGET, "gas": hex(gas)}
    trace = node.rpc("debug_traceCall", call, "latest", {})
    last = trace["structLogs"][-1]
    assert (last["op"], last["gasCost"], last.get("error")) == (op, cost, error)
    assert trace["failed"] is True and trace["returnValue"] == "0x"
    assert trace["gas"] == gas
    assert all("error" not in step for step in trace["structLogs"][:-1])


def test_trace_call_with_state_overrides(node):
    """geth's `stateOverrides` in debug_traceCall's options: the call runs on the overridden
    state, with either tracer, and nothing is written."""
    address = "0x" + "42" * 20
    overrides = {address: {"code": "0x602a60005260206000f3", "balance": "0x5"}}  # return 42
    call = {"from": OWNER.address, "to": address, "gas": hex(100_000)}
    steps = node.rpc("debug_traceCall", call, "latest", {"stateOverrides": overrides})
    assert [s["op"] for s in steps["structLogs"]] == [
        "PUSH1", "PUSH1", "MSTORE", "PUSH1", "PUSH1", "RETURN"
    ]  # fmt: skip
    assert steps["returnValue"] == "0x" + "00" * 31 + "2a" and steps["gas"] == 21_018
    frames = node.rpc(
        "debug_traceCall", call, "latest", {"tracer": "callTracer", "stateOverrides": overrides}
    )
    assert frames["output"] == steps["returnValue"] and frames["gasUsed"] == hex(21_018)
    assert node.rpc("eth_getCode", address, "latest") == "0x"
    assert node.rpc("eth_getBalance", address, "latest") == "0x0"
    with pytest.raises(RpcFailure) as bad:
        node.rpc("debug_traceCall", call, "latest", {"stateOverrides": {address: {"x": 1}}})
    assert bad.value.code == -32602
    with pytest.raises(RpcFailure) as on_a_transaction:
        node.rpc("debug_traceTransaction", "0x" + "ab" * 32, {"stateOverrides": overrides})
    assert on_a_transaction.value.code == -32602
