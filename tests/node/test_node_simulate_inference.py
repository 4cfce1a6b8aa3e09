"""`eth_simulateV1` with a 0xF4 inference (issue 14, item 3): a simulated call returns what
the same call returns once its overridden state is really set and it is really sent, and
leaves no inference record; with PIPE on, it answers PIPE's first pass as `eth_call` does."""

from __future__ import annotations

import json

import pytest
from eth_abi import decode
from node_support import web3_artifact
from web3 import Web3

from ogkit.node import NodeChain, NodeConfig, Rpc

SENDER = "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"  # dev account 4, unlocked
TEE_DEMO = (1, "upstream_demo", ([("input", [(5, 1), (-25, 2)], [2])], []))
"""TEE mode: a committed call leaves a record that settles; a simulated one must not."""
REQUEST = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
OUTPUT = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
PRECOMPILE = "0x00000000000000000000000000000000000000f4"
GAS = hex(3_000_000)


def fresh(seed: int) -> str:
    return "0x" + f"{0x51AA000 + seed:040x}"


def selector(w3, project, name: str) -> str:
    abi, _ = web3_artifact(project, "InferenceProbe")
    return w3.eth.contract(abi=abi).encode_abi(name, [])


def probe_call(w3, project, target: str) -> tuple[str, dict]:
    abi, _ = web3_artifact(project, "InferenceProbe")
    runtime = project.InferenceProbe.contract_type.runtime_bytecode.bytecode
    data = w3.eth.contract(abi=abi).encode_abi("infer", [TEE_DEMO])
    return runtime, {"from": SENDER, "to": target, "input": data, "gas": GAS}


def simulate_one(rpc, runtime: str, call: dict) -> tuple[dict, dict]:
    """`rpc(method, *params)`: a node process's or one in this process."""
    overrides = {call["to"]: {"code": runtime}}
    (block,) = rpc(
        "eth_simulateV1", {"blockStateCalls": [{"stateOverrides": overrides, "calls": [call]}]}
    )
    (result,) = block["calls"]
    return block, result


def where(logs: list[dict]) -> list[tuple]:
    return [(log["address"], log["topics"], log["data"], log["logIndex"]) for log in logs]


def test_a_simulated_inference_is_what_the_mined_call_returns(node, w3, project):
    target = fresh(1)
    runtime, call = probe_call(w3, project, target)
    head = int(node.rpc("eth_blockNumber"), 16)
    block, simulated = simulate_one(node.rpc, runtime, call)

    assert simulated["status"] == "0x1" and int(block["number"], 16) == head + 1
    (event,) = [log for log in simulated["logs"] if log["address"] == PRECOMPILE]
    inference_id, _, output = decode(["string", REQUEST, OUTPUT], bytes.fromhex(event["data"][2:]))
    assert output == decode([OUTPUT], bytes.fromhex(simulated["returnData"][2:]))[0]
    (((_, number, _),), _, _, flagged) = output
    assert number == ((1375, 3),) and flagged is False  # the model ran: 2*0.5 - 0.5*-0.25 + 0.25
    assert node.rpc("ogkit_getInferenceRecord", inference_id) is None  # nothing recorded
    assert node.rpc("ogkit_getBlockInferenceRecords", hex(head + 1)) == []
    assert int(node.rpc("eth_blockNumber"), 16) == head and node.rpc("eth_getCode", target) == "0x"

    node.rpc("anvil_setCode", target, runtime)  # the state the override named, really set
    tx_hash = node.rpc("eth_sendTransaction", {**call, "data": call.pop("input")})
    receipt = node.rpc("eth_getTransactionReceipt", tx_hash)

    assert receipt["blockNumber"] == block["number"]
    assert (receipt["status"], receipt["gasUsed"]) == (simulated["status"], simulated["gasUsed"])
    assert where(receipt["logs"]) == where(simulated["logs"])  # same id, request and output
    (listed,) = receipt["inferences"]
    assert listed["inferenceId"].removeprefix("0x") == inference_id.removeprefix("0x")
    last_output = selector(w3, project, "lastOutput")
    stored = node.rpc("eth_call", {"to": target, "data": last_output}, "latest")
    assert decode(["bytes"], bytes.fromhex(stored[2:]))[0].hex() == simulated["returnData"][2:]
    record = node.rpc("ogkit_getInferenceRecord", listed["inferenceId"])
    assert record is not None and record["mode"] == 1  # the mined call's record, TEE


def test_state_carried_between_blocks_reaches_the_inference(node, w3, project):
    """The contract is deployed in block 1 by an override and called in block 2: the
    second call sees the first's write (the probe counts its calls)."""
    target = fresh(2)
    runtime, call = probe_call(w3, project, target)
    blocks = node.rpc(
        "eth_simulateV1",
        {
            "blockStateCalls": [
                {"stateOverrides": {target: {"code": runtime}}, "calls": [call]},
                {"calls": [call, {"to": target, "input": selector(w3, project, "calls")}]},
            ]
        },
    )
    counted = blocks[1]["calls"][1]["returnData"]
    assert int(counted, 16) == 2
    outputs = [b["calls"][0]["returnData"] for b in blocks]
    assert outputs[0] == outputs[1]


def test_with_pipe_a_simulation_answers_the_first_pass_as_eth_call_does(node, w3, project):
    target = fresh(3)
    runtime, call = probe_call(w3, project, target)
    assert node.rpc("ogkit_setPipe", True) is True
    try:
        _, simulated = simulate_one(node.rpc, runtime, call)
        called = node.rpc(
            "eth_call",
            {"from": SENDER, "to": target, "data": call["input"], "gas": GAS},
            "latest",
            {target: {"code": runtime}},
        )
    finally:
        node.rpc("ogkit_setPipe", False)
    assert simulated["returnData"] == called
    numbers, strings, jsons, flagged = decode([OUTPUT], bytes.fromhex(called[2:]))[0]
    assert (numbers, strings, jsons, flagged) == ((), (), (), True)
    assert [log["address"] for log in simulated["logs"]] == [target]  # no inference event


@pytest.fixture(scope="module")
def in_process(model_store):
    """A node in this process, so the test can look at its record book and database."""
    node = NodeChain(NodeConfig(model_store=model_store.root))
    yield node, Rpc(node, "test")
    node.close()


def test_a_simulation_leaves_no_record_and_writes_nothing(in_process, project):
    node, rpc = in_process

    def call(method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        reply = json.loads(rpc.handle(body.encode()))
        assert "error" not in reply, reply
        return reply["result"]

    target = fresh(4)
    runtime, request = probe_call(Web3(), project, target)
    database = node.chain.chaindb.db.wrapped_db.kv_store  # the in-memory store, every key
    keys, book = set(database), len(node.engine.book)
    _, simulated = simulate_one(call, runtime, request)
    (event,) = [log for log in simulated["logs"] if log["address"] == PRECOMPILE]
    inference_id, _, _ = decode(["string", REQUEST, OUTPUT], bytes.fromhex(event["data"][2:]))
    assert simulated["status"] == "0x1"
    assert node.engine.book.get(inference_id) is None and len(node.engine.book) == book
    assert set(database) == keys  # not a trie node, header or record was written

    call("anvil_setCode", target, runtime)
    call("eth_sendTransaction", {**request, "data": request.pop("input")})
    assert node.engine.book.get(inference_id) is not None  # the mined call's record
