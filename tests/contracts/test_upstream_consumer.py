"""UpstreamStyleConsumer, written the way OpenGradient's own examples are, runs unchanged on
`opengradient:local` with an alpha-style `Qm…` model id aliased in the store (conftest)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from store_support import UPSTREAM_STYLE_CID

from og_examples.models import UPSTREAM_DEMO_BIAS, UPSTREAM_DEMO_WEIGHTS
from precompiles.fixed_point import from_array, to_array

# What the contract sends: Number(7286679744720459, 17), Number(4486280852050781, 16)
INPUT_NUMBERS = ((7286679744720459, 17), (4486280852050781, 16))
INPUT = np.array([0.07286679744720459, 0.4486280852050781], dtype=np.float32)


@pytest.fixture(scope="module")
def consumer(project, accounts, model_store):
    return accounts[0].deploy(project.UpstreamStyleConsumer, UPSTREAM_STYLE_CID)


@pytest.fixture(scope="module")
def expected(model_store):
    store_entry = model_store.resolve(UPSTREAM_STYLE_CID)
    assert store_entry == model_store.resolve("upstream_demo")  # the alias
    session = ort.InferenceSession(
        model_store.read(store_entry), providers=["CPUExecutionProvider"]
    )
    (out,) = session.run(["output"], {"input": INPUT})
    # the model is output = 2 x0 - 0.5 x1 + 0.25, computed in float32
    w0, w1 = (np.float32(w) for w in UPSTREAM_DEMO_WEIGHTS)
    assert out[0] == w0 * INPUT[0] + w1 * INPUT[1] + np.float32(UPSTREAM_DEMO_BIAS)
    (number,) = from_array(out)
    return number


def test_cid_and_input_conversion():
    assert UPSTREAM_STYLE_CID.startswith("Qm") and len(UPSTREAM_STYLE_CID) == 46
    assert np.array_equal(to_array(INPUT_NUMBERS, np.dtype(np.float32)), INPUT)


def test_run_zkml_model_stores_exact_output(consumer, accounts, chain, expected):
    assert consumer.modelCID() == UPSTREAM_STYLE_CID
    assert tuple(consumer.resultNumber()) == (0, 0)

    receipt = consumer.runZkmlModel(sender=accounts[0])

    assert tuple(consumer.resultNumber()) == expected
    (inference,) = receipt.decode_logs()
    assert tuple(inference.request) == (
        1,  # ZK
        UPSTREAM_STYLE_CID,
        ((("input", INPUT_NUMBERS, (2,)),), ()),
    )
    assert tuple(inference.response) == ((("output", (expected,), (1,)),), (), (), False)
    record = chain.provider.inference_engine.records[inference.inferenceID]
    assert record.mode.name == "ZK"
    assert record.inference_id in chain.provider.inference_engine.prover_queue
    assert record.block_number == receipt.block_number
