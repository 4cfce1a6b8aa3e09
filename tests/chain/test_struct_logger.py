"""The struct logger's API (ogkit/chain/struct_logger.py) on the in-process chain.

The module docstring's recipe, used as the coverage tool or the in-process provider would:
`StructLogVMs` over the tracer's replay precompiles, a `StructLogger` collecting while a call
runs. Each step's gas is the previous step's minus its gasCost within a frame (a call's cost
includes what it hands the callee, as geth's), 0xF4 answers from the result cache, and a
trace over the caps stops with `TraceTooLarge`.
"""

from __future__ import annotations

import pytest
from eth_utils import to_canonical_address

from ogkit.chain.budget import deadline
from ogkit.chain.struct_logger import (
    StructLogConfig,
    StructLogger,
    StructLogVMs,
    TraceTooLarge,
)
from ogkit.chain.tracing import spoofed_call, transaction_gas_used


@pytest.fixture(scope="module")
def gate(project, owner, model_store):
    return owner.deploy(project.SentimentGate, "sentiment")


def traced_submit(chain, owner, gate, config: StructLogConfig) -> tuple[dict, object, object]:
    tracer = chain.provider.tracer
    backend = tracer.backend
    vms = StructLogVMs(tracer._vms.precompiles)
    py_chain = backend.chain
    header = py_chain.get_canonical_head().copy(base_fee_per_gas=0, gas_used=0)  # a call's
    vm = vms.vm(py_chain, header, py_chain.chain_id)
    data = bytes(gate.submit.encode_input(["good", "strong"]))
    sender, to = to_canonical_address(owner.address), to_canonical_address(gate.address)
    tx = spoofed_call(vm, sender, to, 0, data, 3_000_000)
    logger = StructLogger(config)
    with backend.chain_lock, logger.collecting(), deadline(30):
        computation = vm.state.apply_transaction(tx)
    result = logger.result(computation, transaction_gas_used(vm.state, tx, computation))
    return result, tracer, tx


def test_steps_chain_their_gas(chain, owner, gate):
    gate.submit(["good", "strong"], sender=owner)  # the result is cached
    runs, hits = chain.provider.tracer.replay.model_runs, chain.provider.tracer.replay.cache_hits
    result, tracer, tx = traced_submit(chain, owner, gate, StructLogConfig())
    steps = result["structLogs"]
    assert result["failed"] is False and result["returnValue"] == "0x" + "00" * 31 + "01"
    first = {"pc": 0, "op": "PUSH1", "gas": 3_000_000 - tx.intrinsic_gas, "gasCost": 3}
    assert steps[0] == {**first, "depth": 1, "stack": []}
    for step, after in zip(steps, steps[1:], strict=False):
        if after["depth"] == step["depth"] == 1 and step["op"] != "CALL":
            assert after["gas"] == step["gas"] - step["gasCost"], step
    (call,) = [s for s in steps if s["op"] == "CALL"]
    assert call["stack"][-2] == "0xf4" and call["depth"] == 1
    after_call = steps[steps.index(call) + 1]
    # no steps inside the precompile: the gas it did not use came back to the caller
    assert after_call["depth"] == 1 and after_call["gas"] > call["gas"] - call["gasCost"]
    assert steps[-1]["op"] == "RETURN"
    assert tracer.replay.model_runs == runs and tracer.replay.cache_hits == hits + 1


def test_caps(chain, owner, gate):
    with pytest.raises(TraceTooLarge, match="trace has more than 100 steps"):
        traced_submit(chain, owner, gate, StructLogConfig(max_steps=100))
    with pytest.raises(TraceTooLarge, match="trace output exceeds 50000 bytes"):
        traced_submit(chain, owner, gate, StructLogConfig(enable_memory=True, max_bytes=50_000))
    limited, _, _ = traced_submit(chain, owner, gate, StructLogConfig(limit=10, max_steps=100))
    full, _, _ = traced_submit(chain, owner, gate, StructLogConfig())
    assert limited["structLogs"] == full["structLogs"][:10]
    assert limited["gas"] == full["gas"]


def test_config_from_json():
    assert StructLogConfig.from_json({"enableMemory": True, "limit": 5}) == StructLogConfig(
        enable_memory=True, limit=5
    )
    with pytest.raises(ValueError, match="cannot unmarshal array into Go struct field "):
        StructLogConfig.from_json({"disableStorage": []})
