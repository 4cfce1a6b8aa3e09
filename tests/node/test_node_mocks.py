"""Mocked model outputs on `ogkit node`, over raw JSON-RPC: `ogkit_mockModelOutput`,
`ogkit_removeModelMock`, `ogkit_clearModelMocks`, `ogkit_getModelRuns`; bad params are
JSON-RPC errors (-32602) and the node keeps answering."""

from __future__ import annotations

import pytest
from node_support import DEV_KEYS, RpcFailure, transact

from ogkit.chain.genesis import INFERENCE_HUB_ADDRESS
from ogkit.contracts import load
from ogkit.inference.receipts import decode_inference_event

DEMO = "upstream_demo"  # output = 2 a - 0.5 b + 0.25 (float32)
OG_INFERENCE = "0x00000000000000000000000000000000000000F4"


@pytest.fixture(scope="module")
def hub(w3):
    return w3.eth.contract(address=INFERENCE_HUB_ADDRESS, abi=load("InferenceHub").abi)


def run(w3, hub, numbers, mode=0):
    """A mined `hub.run`: (its inference id, the output numbers it returned)."""
    model_input = ([("input", numbers, [2])], [])
    output = hub.functions.run(DEMO, mode, model_input).call()
    receipt = transact(w3, DEV_KEYS[0], hub.functions.run(DEMO, mode, model_input))
    assert receipt.status == 1
    (log,) = [log for log in receipt.logs if log.address == OG_INFERENCE]
    return "0x" + decode_inference_event(bytes(log.data)).inference_id, output[0][0][1]


def test_a_mock_over_json_rpc(node, w3, hub):
    node.rpc("ogkit_clearModelMocks")
    runs = node.rpc("ogkit_getModelRuns")
    key = node.rpc("ogkit_mockModelOutput", DEMO, {"input": [0.25, "1.5"]}, {"output": [-3.5]})
    assert key.startswith("0x") and len(key) == 66
    inference_id, output = run(w3, hub, [[25, 2], [15, 1]])
    assert output == [(-35, 1)]
    assert node.rpc("ogkit_getModelRuns") == runs
    record = node.rpc("ogkit_getInferenceRecord", inference_id)
    assert (record["mocked"], record["settlement"], record["settlementTx"]) == (
        True,
        "mocked",
        None,
    )
    assert node.rpc("ogkit_waitForSettlement", inference_id, 0)["settlement"] == "mocked"
    assert node.rpc("ogkit_inferenceStats")["modelRuns"] == runs

    # another input runs the model; without the mock, so does this one
    _, output = run(w3, hub, [[25, 2], [2, 0]])
    assert output == [(-25, 2)]
    assert node.rpc("ogkit_getModelRuns") == runs + 1
    assert node.rpc("ogkit_removeModelMock", key) is True
    assert node.rpc("ogkit_removeModelMock", key) is False
    inference_id, output = run(w3, hub, [[25, 2], [15, 1]])
    assert output == [(0, 0)]
    assert node.rpc("ogkit_getModelRuns") == runs + 2
    assert node.rpc("ogkit_getInferenceRecord", inference_id)["mocked"] is False

    node.rpc("ogkit_mockModelOutput", DEMO, {"input": [9, 9]}, {"output": [1]})
    node.rpc("ogkit_mockModelOutput", DEMO, {"input": [8, 8]}, {"output": [1]})
    assert node.rpc("ogkit_clearModelMocks") == 2
    assert node.rpc("ogkit_clearModelMocks") == 0


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            "ogkit_mockModelOutput",
            [DEMO, {"input": [1, 2]}],
            "ogkit_mockModelOutput: expected at least 3 param(s), got 2",
        ),
        ("ogkit_mockModelOutput", [1, {}, {}], "model id: expected a non-empty string"),
        ("ogkit_mockModelOutput", ["", {}, {}], "model id: expected a non-empty string"),
        (
            "ogkit_mockModelOutput",
            [DEMO, [1, 2], {}],
            "inputs: expected an object of tensor name to values",
        ),
        (
            "ogkit_mockModelOutput",
            [DEMO, {"input": [1, 2]}, None],
            "outputs: expected an object of tensor name to values",
        ),
        ("ogkit_mockModelOutput", ["nope", {}, {}], "model not found: nope"),
        (
            "ogkit_mockModelOutput",
            [DEMO, {"x": [1, 2]}, {"output": [1]}],
            "unexpected input 'x'; model inputs are ['input']",
        ),
        (
            "ogkit_mockModelOutput",
            [DEMO, {"input": [1, [2]]}, {"output": [1]}],
            "input 'input': [2] is not a number",
        ),
        (
            "ogkit_mockModelOutput",
            [DEMO, {"input": [1, {"a": 1}]}, {"output": [1]}],
            "input 'input': {'a': 1} is not a number",
        ),
        (
            "ogkit_mockModelOutput",
            [DEMO, {"input": [1, 2]}, {"output": ["high"]}],
            "output 'output': 'high' is not a number",
        ),
        (
            "ogkit_mockModelOutput",
            [DEMO, {"input": [True, 2]}, {"output": [[1, 2]]}],
            "output 'output' has shape [1, 2], model expects [1]",
        ),
        ("ogkit_removeModelMock", [7], "mock key: expected a hex string"),
        ("ogkit_removeModelMock", [], "ogkit_removeModelMock: expected at least 1 param(s), got 0"),
        ("ogkit_clearModelMocks", [1], "ogkit_clearModelMocks: expected at most 0 param(s), got 1"),
        ("ogkit_getModelRuns", [1], "ogkit_getModelRuns: expected at most 0 param(s), got 1"),
    ],
)
def test_bad_params_are_json_rpc_errors(node, method, params, message):
    with pytest.raises(RpcFailure) as exc:
        node.rpc(method, *params)
    assert exc.value.code == -32602
    assert exc.value.message == message
    assert node.rpc("ogkit_removeModelMock", "0xzz") is False
    assert isinstance(node.rpc("eth_blockNumber"), str)  # still answering
