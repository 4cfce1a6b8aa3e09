"""What the Ape plugin costs every `ape test` session, on any network: Ape imports the plugin
and calls all its `register` functions (its providers' modules included) even on
`ethereum:local:test`, and pytest loads `ape_opengradient.pytest_plugin`. None of that may
load a model runtime: onnxruntime and tokenizers load with the first model or LLM a chain
runs, ezkl with the first proof (bench/suite.py, issue 13's session time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

RUNTIMES = {"onnxruntime", "tokenizers", "ezkl"}

PROBE = """
import json, sys
import ape_opengradient as plugin
import ape_opengradient.pytest_plugin
registered = {
    "config": plugin.config_class().__name__,
    "ecosystems": [cls.__name__ for cls in plugin.ecosystems()],
    "networks": sorted({network for _, network, _ in plugin.networks()}),
    "providers": sorted({(network, cls.__name__) for _, network, cls in plugin.providers()}),
}
print(json.dumps({"registered": registered, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def loaded() -> dict:
    """A fresh interpreter that imports the plugin and runs every `register` function."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=180
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_registering_the_plugin_loads_no_model_runtime(loaded: dict) -> None:
    modules = set(loaded["modules"])
    assert {m.split(".")[0] for m in modules} & RUNTIMES == set()


def test_the_probe_registered_every_provider(loaded: dict) -> None:
    """The modules checked above are those Ape loads: every provider class was imported."""
    registered = loaded["registered"]
    assert registered == {
        "config": "OpenGradientConfig",
        "ecosystems": ["OpenGradient"],
        "networks": ["alpha", "local", "ogevm"],
        "providers": [
            ["alpha", "LiveNodeProvider"],
            ["local", "AIProvider"],
            ["local", "OGNodeProvider"],
            ["ogevm", "LiveNodeProvider"],
        ],
    }
    assert {"ape_opengradient.provider", "ape_opengradient.node_provider"} <= set(loaded["modules"])


def test_a_model_still_loads_onnxruntime() -> None:
    """The runtime comes with the first model: OnnxModel runs one (a fresh interpreter, so
    the import is the module's own)."""
    probe = (
        "import sys, numpy as np\n"
        "from onnx import TensorProto, helper\n"
        "from ogkit.models.onnx_runtime import OnnxModel\n"
        "assert 'onnxruntime' not in sys.modules\n"
        "graph = helper.make_graph([helper.make_node('Neg', ['x'], ['y'])], 'g',\n"
        "    [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2])],\n"
        "    [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2])])\n"
        "model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])\n"
        "model.ir_version = 8\n"
        "onnx_model = OnnxModel(model.SerializeToString(), b'h' * 32)\n"
        "print(onnx_model.run({'x': np.array([1.5, -2.0], np.float32)})[0][1].tolist())\n"
        "print('onnxruntime' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines() == ["[-1.5, 2.0]", "True"]
