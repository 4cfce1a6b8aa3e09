"""The pcs per call frame on the in-process chain (ogkit/chain/pc_trace.py), which
`ape test --coverage` maps to statements: re-executed on the transaction's pre-state,
0xF4 answering from the result cache (no model runs), frames in the order they started."""

from __future__ import annotations

import time

import pytest
from web3 import Web3

from ogkit.chain.pc_trace import PcTracer
from ogkit.chain.tracing import CallRequest
from ogkit.solidity.coverage_map import instruction_pcs

OG_INFERENCE = bytes.fromhex("00" * 19 + "f4")


@pytest.fixture(scope="module")
def gate(project, owner, model_store):
    return owner.deploy(project.SentimentGate, "sentiment")


@pytest.fixture
def tracer(chain) -> PcTracer:
    backend = chain.provider.tester.backend
    return PcTracer(backend, backend.services)


def test_frames_of_an_inference_transaction(chain, owner, gate, engine, tracer):
    receipt = gate.submit(["good", "strong", f"pc{time.monotonic_ns()}"], sender=owner)
    runs = engine.model_runs
    code = bytes(chain.provider.web3.eth.get_code(gate.address))

    top, inference = tracer.transaction_frames(bytes.fromhex(receipt.txn_hash[2:]))

    assert (top.address, top.code, top.depth, top.is_create) == (
        bytes.fromhex(gate.address[2:]),
        code,
        1,
        False,
    )
    assert 0 in top.pcs and top.pcs <= set(instruction_pcs(code))
    # the contract's CALL to 0xF4 ran; the precompile has no code, so no pcs
    assert any(code[pc] == 0xF1 for pc in top.pcs)
    assert (inference.address, inference.code, inference.depth, inference.pcs) == (
        OG_INFERENCE,
        b"",
        2,
        set(),
    )
    assert engine.model_runs == runs and tracer.replay.model_runs == 0
    again = tracer.transaction_frames(bytes.fromhex(receipt.txn_hash[2:]))
    assert [f.pcs for f in again] == [top.pcs, set()]


def test_frames_of_a_call(chain, owner, gate, tracer):
    data = bytes.fromhex(Web3.to_hex(gate.modelId.encode_input())[2:])
    sender, to = bytes.fromhex(owner.address[2:]), bytes.fromhex(gate.address[2:])
    (frame,) = tracer.call_frames(CallRequest(sender, to, data))
    assert frame.address == to and frame.depth == 1 and frame.pcs
    assert frame.pcs < set(instruction_pcs(frame.code))
