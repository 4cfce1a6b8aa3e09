"""The 0xF4 precompile on good requests, from Python (`precompile.run`) and through the chain:
every example model's output, event, inference id, record and exact gas; model ids by CID,
alias and upstream id; static calls (no log, no record); the ZK and TEE modes.

Everything runs the real example models with onnxruntime, from a store built in a temp dir
(tests/unit/precompile/conftest.py); expected values are recomputed from the reference rules.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import numpy as np
import pytest
from eth_abi import decode, encode
from eth_utils import to_canonical_address
from precompile_support import (
    BLOCK,
    COMPUTE_GAS,
    F4,
    F4_BYTES,
    G_BASE,
    ORIGIN,
    OUTPUT_TYPE,
    PLENTY,
    REQUEST_TYPE,
    SENDER,
    TOPIC,
    Env,
    calldata,
    context,
    expected_output,
    inference_id,
    input_gas,
    log_gas,
    model_gas,
    output_gas,
    request_abi,
    sample_request,
    sdk_number,
    tx_gas,
)

from og_examples.models import EXAMPLES, UPSTREAM_DEMO_ALIAS, sample_input
from ogkit.inference.prover_queue import no_setup_status
from precompiles.host import CallContext, LogEntry
from precompiles.inference.precompile import run
from precompiles.inference.types import ModelInferenceMode

# --- happy paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_from_python(env: Env, name: str) -> None:
    req = sample_request(name)
    result = run(calldata(req), context(), env.engine)
    assert not result.reverted and not result.out_of_gas and result.reason == ""
    output = expected_output(env.ort_outputs(name, sample_input(name)))
    assert result.output == encode([OUTPUT_TYPE], [output])

    inf_id = inference_id(BLOCK, ORIGIN, SENDER, env.files[name], req)
    event = encode(["string", REQUEST_TYPE, OUTPUT_TYPE], [inf_id, request_abi(req), output])
    assert result.logs == [LogEntry(F4_BYTES, (TOPIC,), event)]
    file = env.files[name]
    assert result.gas_used == (
        G_BASE
        + input_gas(req.input)
        + model_gas(file)
        + COMPUTE_GAS[name]
        + output_gas(output)
        + log_gas(event)
    )
    record = env.engine.records[inf_id]
    assert record.settlement == "not required"
    assert record.model_hash == hashlib.sha256(file).digest()
    assert record.block_number == BLOCK


def test_example_outputs_pinned(env: Env) -> None:
    """A few outputs written out, so a change in the conversion rule cannot hide."""
    outputs = {}
    for name in EXAMPLES:
        result = run(calldata(sample_request(name)), context(), env.engine)
        outputs[name] = decode([OUTPUT_TYPE], result.output)[0]
    # sentiment: bullish 2.0 + strong 1.25 + breakout 1.5 in the hand-written lexicon
    assert outputs["sentiment"] == ((("score", ((475, 2),), (1,)),), (), (), False)
    label = outputs["credit_risk"][1]
    assert label == (("label", ("medium",)),)
    assert [n for n, _, _ in outputs["credit_risk"][0]] == ["probabilities"]
    probabilities = outputs["credit_risk"][0][0][1]
    assert sum(Decimal(v).scaleb(-d) for v, d in probabilities) == pytest.approx(1, abs=1e-6)
    # upstream_demo: 2 * x0 - 0.5 * x1 + 0.25 in float32
    x0, x1 = sample_input("upstream_demo")["input"]
    y = np.float32(np.float32(2.0) * x0 + np.float32(-0.5) * x1) + np.float32(0.25)
    assert outputs["upstream_demo"][0] == (("output", (sdk_number(y),), (1,)),)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_on_chain(env: Env, name: str) -> None:
    req = sample_request(name)
    data = calldata(req)
    output = expected_output(env.ort_outputs(name, sample_input(name)))
    receipt = env.send(data, 2_000_000)
    assert receipt["status"] == 1
    sender = to_canonical_address(env.account)
    nonce = env.tester.get_nonce(env.account)  # the EVM's, once it bumped the sender's
    inf_id = inference_id(receipt["block_number"], sender, sender, env.files[name], req, nonce)
    event = encode(["string", REQUEST_TYPE, OUTPUT_TYPE], [inf_id, request_abi(req), output])
    (log,) = receipt["logs"]
    assert log["address"] == F4
    assert log["topics"] == ["0x" + f"{TOPIC:064x}"]
    assert log["data"] == "0x" + event.hex()
    assert decode(["string", REQUEST_TYPE, OUTPUT_TYPE], event)[0] == inf_id
    execution = (
        G_BASE
        + input_gas(req.input)
        + model_gas(env.files[name])
        + COMPUTE_GAS[name]
        + output_gas(output)
    ) + log_gas(event)
    assert receipt["gas_used"] == tx_gas(data, execution)
    assert env.call(data) == encode([OUTPUT_TYPE], [output])


def test_model_ids_cid_alias_and_upstream_id(env: Env) -> None:
    results = {
        model_id: run(
            calldata(sample_request("upstream_demo", model_id=model_id)), context(), env.engine
        )
        for model_id in ("upstream_demo", env.cids["upstream_demo"], UPSTREAM_DEMO_ALIAS)
    }
    outputs = {r.output for r in results.values()}
    assert len(outputs) == 1 and not any(r.reverted for r in results.values())


def test_static_call_emits_no_log(env: Env) -> None:
    req = sample_request("volatility")
    normal = run(calldata(req), context(), env.engine)
    static_context = CallContext(SENDER, ORIGIN, BLOCK + 1000, 0, PLENTY, is_static=True)
    static = run(calldata(req), static_context, env.engine)
    assert static.output == normal.output and not static.reverted
    assert static.logs == []
    # nor a record: a static frame changes no state
    static_id = inference_id(BLOCK + 1000, ORIGIN, SENDER, env.files["volatility"], req)
    assert static_id not in env.engine.records
    (log,) = normal.logs
    assert normal.gas_used - static.gas_used == log_gas(log.data)


def test_static_call_on_chain(env: Env) -> None:
    data = calldata(sample_request("upstream_demo"))
    expected = encode(
        [OUTPUT_TYPE],
        [expected_output(env.ort_outputs("upstream_demo", sample_input("upstream_demo")))],
    )
    receipt, ok, out = env.via_proxy(data, 10**6, static=True)
    assert receipt["status"] == 1 and ok and out == expected
    assert receipt["logs"] == []
    receipt, ok, out = env.via_proxy(data, 10**6, static=False)
    assert receipt["status"] == 1 and ok and out == expected
    assert [log["address"] for log in receipt["logs"]] == [F4]


@pytest.mark.parametrize("mode", [ModelInferenceMode.ZK, ModelInferenceMode.TEE])
def test_proof_modes(env: Env, mode: ModelInferenceMode) -> None:
    vanilla = sample_request("credit_risk")
    proof = sample_request("credit_risk", mode=int(mode))
    first = run(calldata(vanilla), context(), env.engine)
    runs = env.engine.model_runs
    result = run(calldata(proof), context(), env.engine)
    assert result.output == first.output and not result.reverted
    assert env.engine.model_runs == runs  # same model and input: the recorded result
    inf_id = inference_id(BLOCK, ORIGIN, SENDER, env.files["credit_risk"], proof)
    record = env.engine.records[inf_id]
    if mode is ModelInferenceMode.ZK:  # queued for proving; credit_risk cannot be set up for ZK
        assert env.engine.prover_queue.wait(inf_id, timeout=30) is record
        cid = env.engine.store.resolve("credit_risk").cid
        assert (record.mode, record.settlement) == (mode, no_setup_status(cid))
    else:
        assert (record.mode, record.settlement) == (mode, "pending")
    vanilla_id = inference_id(BLOCK, ORIGIN, SENDER, env.files["credit_risk"], vanilla)
    assert env.engine.records[vanilla_id].settlement == "not required"
    (log,) = result.logs
    assert decode(["string", REQUEST_TYPE, OUTPUT_TYPE], log.data)[1][0] == int(mode)
    receipt = env.send(calldata(proof), 2_000_000)
    assert receipt["status"] == 1
