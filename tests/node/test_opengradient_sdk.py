"""OpenGradient's own Python SDK (`opengradient` 1.1.4, in .venv-sdk: `make sdk`) runs
`Alpha.infer` against `ogkit node` with only the RPC URL changed: it estimates gas, signs a
legacy transaction to the hub at its alpha address, and decodes the hub's InferenceResult
event. The numbers it prints are onnxruntime's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from node_support import DEV_KEYS
from store_support import UPSTREAM_STYLE_CID

from ogkit.chain.genesis import INFERENCE_HUB_ADDRESS
from ogkit.contracts import load

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "alpha_infer.py"
INPUT = [0.07286679744720459, 0.4486280852050781]
MODEL_INFERENCE_EVENT = "0x1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87"
INFERENCE_RESULT = "0xc1396ff68bc2d8630100df29ce5561fa99078c602e8676ab72a53e37095d7168"


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    if not SDK_PYTHON.is_file():
        pytest.skip("the OpenGradient SDK venv is missing: run `make sdk`")
    version = subprocess.run(
        [str(SDK_PYTHON), "-c", "import importlib.metadata as m; print(m.version('opengradient'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == "1.1.4"
    return SDK_PYTHON


MODES = {"VANILLA": 0, "ZKML": 1, "TEE": 2}


def test_sdk_alpha_infer_on_the_local_node(sdk_python, node, w3, model_store):
    command = [
        str(sdk_python),
        str(SCRIPT),
        node.url,
        DEV_KEYS[5],
        UPSTREAM_STYLE_CID,
        json.dumps({"input": INPUT}),
        ",".join(MODES),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.strip().splitlines()]

    session = ort.InferenceSession(
        model_store.read(model_store.resolve(UPSTREAM_STYLE_CID)),
        providers=["CPUExecutionProvider"],
    )
    (expected,) = session.run(["output"], {"input": np.array(INPUT, dtype=np.float32)})
    hub = w3.eth.contract(address=INFERENCE_HUB_ADDRESS, abi=load("InferenceHub").abi)
    assert [r["mode"] for r in results] == list(MODES)
    for result in results:
        assert result["output"] == {
            "output": {
                "values": [repr(x.item()) for x in expected.reshape(-1)],
                "dtype": "float32",
                "shape": [1],
            }
        }
        assert result["output"]["output"]["values"] == ["0.17141954600811005"]

        # the SDK's legacy transaction called the hub's run() and left both events
        tx = w3.eth.get_transaction(result["tx_hash"])
        assert tx.to == INFERENCE_HUB_ADDRESS and tx.type == 0
        function, args = hub.decode_function_input(tx.input)
        assert function.fn_name == "run"
        assert (args["modelId"], args["inferenceMode"]) == (
            UPSTREAM_STYLE_CID,
            MODES[result["mode"]],
        )
        receipt = w3.eth.get_transaction_receipt(result["tx_hash"])
        assert [log.topics[0].to_0x_hex() for log in receipt.logs] == [
            MODEL_INFERENCE_EVENT,
            INFERENCE_RESULT,
        ]


# --------------------------------------------------------------------------- workflows

WORKFLOW_SCRIPT = ROOT / "tests" / "support" / "sdk_scripts" / "alpha_workflow.py"
OHLC = ("open", "high", "low", "close")  # the SDK query's candle types, in its order


def _sdk(sdk_python: Path, *args: str) -> dict:
    command = [str(sdk_python), str(WORKFLOW_SCRIPT), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return json.loads(lines[-1])


def _runs(w3, address: str) -> list[int]:
    """Block timestamps of the workflow's runs (its InferenceResultEmitted logs)."""
    logs = w3.eth.get_logs({"address": address, "fromBlock": 0, "toBlock": "latest"})
    return [w3.eth.get_block(log.blockNumber).timestamp for log in logs]


def _forecast(session, timestamp: int) -> dict:
    """What the workflow's model gives for the sample feed's candles at `timestamp`."""
    from ogkit.pricefeed import SamplePriceSource
    from precompiles.fixed_point import to_array

    candles = SamplePriceSource().candles("ETH", "USD", 30, 10, timestamp)
    values = [getattr(c, field) for c in candles for field in OHLC]
    grid = to_array(values, np.dtype(np.float32)).reshape(10, 4)
    (out,) = session.run(["volatility"], {"open_high_low_close": grid})
    values = [repr(x.item()) for x in out.reshape(-1)]
    return {"numbers": {"volatility": values}, "is_simulation_result": False}


def test_sdk_workflow_api_on_the_local_node(sdk_python, node, w3, model_store):
    """new_workflow (without and with SchedulerParams), run_workflow, read_workflow_result,
    read_workflow_history, then the node's scheduler runs the scheduled one."""
    from ogkit.chain.genesis import TASK_SCHEDULER_ADDRESS

    session = ort.InferenceSession(
        model_store.read(model_store.resolve("volatility")), providers=["CPUExecutionProvider"]
    )
    out = _sdk(sdk_python, "deploy", node.url, DEV_KEYS[4], "volatility", "open_high_low_close")

    empty = {"numbers": {}, "is_simulation_result": False}
    assert out["before"] == empty  # as upstream's template: an empty result before a run
    (ran_at,) = _runs(w3, out["manual"])
    assert out["run"] == out["result"] == _forecast(session, ran_at)
    assert out["history"] == [out["result"]]

    scheduler = w3.eth.contract(address=TASK_SCHEDULER_ADDRESS, abi=load("TaskScheduler").abi)
    tasks = scheduler.functions.getAllTasks().call()
    (task,) = [t for t in tasks if t[1] == out["scheduled"]]
    assert task[3] == 600  # frequency; endTime is the SDK's wall clock + 1 h
    assert _runs(w3, out["scheduled"]) == []

    node.rpc("evm_increaseTime", 600)
    node.rpc("evm_mine")
    runs = _runs(w3, out["scheduled"])
    assert len(runs) == 1
    later = _sdk(sdk_python, "read", node.url, DEV_KEYS[4], out["scheduled"])
    assert later["result"] == _forecast(session, runs[0])
    assert later["history"] == [later["result"]]
