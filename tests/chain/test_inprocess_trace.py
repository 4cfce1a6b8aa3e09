"""Call traces on the in-process provider (`opengradient:local`): geth's callTracer, in-process.

eth-tester answers no tracing RPC; the provider answers `debug_traceTransaction` and
`debug_traceCall` itself (ape_opengradient/call_traces.py, ogkit/chain/tracing.py) by
re-executing on the transaction's pre-state with 0xF4 reading the result cache. So Ape's
`receipt.trace`, `show_trace()` and `ape test --gas` see the call to 0xF4 by name, with the
receipt's gas, and no model runs again.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ape.exceptions import ProviderError
from eth_abi import decode
from web3 import Web3

from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC

OG_INFERENCE = "0x00000000000000000000000000000000000000f4"
RUN_MODEL_INFERENCE = "0x7289e9c2"
EVENT_TOPIC = "0x" + MODEL_INFERENCE_EVENT_TOPIC.to_bytes(32, "big").hex()
CALL_TRACER = {"tracer": "callTracer"}
WITH_LOG = {"tracer": "callTracer", "tracerConfig": {"withLog": True}}
NOT_FOUND = "OGInference: model not found: no-such-model"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gate(project, owner, model_store):
    return owner.deploy(project.SentimentGate, "sentiment")


def fresh_words() -> list[str]:
    """Words no earlier run sent, so the model really runs for the transaction."""
    return ["good", "strong", f"trace{time.monotonic_ns()}"]


def test_inference_transaction_trace(chain, owner, gate, engine):
    receipt = gate.submit(fresh_words(), sender=owner)
    assert receipt.status == 1
    provider = chain.provider
    runs, replay = engine.model_runs, provider.tracer.replay
    replay_runs, hits = replay.model_runs, replay.cache_hits

    top = provider.make_request("debug_traceTransaction", [receipt.txn_hash, WITH_LOG])

    assert top["type"] == "CALL"
    assert top["from"] == owner.address.lower() and top["to"] == gate.address.lower()
    assert top["input"] == "0x" + bytes(receipt.data).hex()
    assert int(top["gas"], 16) == receipt.gas_limit
    assert int(top["gasUsed"], 16) == receipt.gas_used  # the re-execution charged the same
    assert decode(["bool"], bytes.fromhex(top["output"][2:])) == (True,)
    (call,) = top["calls"]
    assert call["type"] == "CALL" and call["from"] == gate.address.lower()
    assert call["to"] == OG_INFERENCE and call["input"].startswith(RUN_MODEL_INFERENCE)
    assert int(call["gasUsed"], 16) >= 25_000 and "error" not in call
    (event,) = call["logs"]
    assert event["topics"][0] == EVENT_TOPIC and event["position"] == "0x0"
    logged = next(log for log in receipt.logs if log["address"].lower() == OG_INFERENCE)
    assert event["data"] == Web3.to_hex(logged["data"])
    (recorded,) = top["logs"]  # SentimentRecorded, after the call to 0xF4
    assert recorded["address"] == gate.address.lower() and recorded["position"] == "0x1"
    # served from the result cache: no model ran for the trace
    assert (engine.model_runs, replay.model_runs) == (runs, replay_runs)
    assert replay.cache_hits == hits + 1
    assert provider.make_request("debug_traceTransaction", [receipt.txn_hash, WITH_LOG]) == top


def test_ape_trace_and_show_trace(chain, owner, gate, engine):
    receipt = gate.submit(fresh_words(), sender=owner)
    runs, replay_runs = engine.model_runs, chain.provider.tracer.replay.model_runs
    assert chain.provider.supports_tracing is True

    tree = receipt.trace.get_calltree()
    (call,) = tree.calls
    assert Web3.to_hex(call.address) == OG_INFERENCE
    assert Web3.to_hex(call.calldata[:4]) == RUN_MODEL_INFERENCE
    assert call.call_type.value == "CALL"
    assert tree.gas_cost == receipt.gas_used
    shown = io.StringIO()
    receipt.show_trace(file=shown)
    assert "SentimentGate.submit" in shown.getvalue(), shown.getvalue()
    assert "OGInference.runModelInference" in shown.getvalue(), shown.getvalue()
    report = receipt.trace.get_gas_report()
    assert report["SentimentGate"]["submit"] == [receipt.gas_used]
    assert report["OGInference"]["runModelInference"] == [call.gas_cost]
    assert (engine.model_runs, chain.provider.tracer.replay.model_runs) == (runs, replay_runs)


def test_reverted_transaction_trace(chain, project, owner):
    missing = owner.deploy(project.SentimentGate, "no-such-model")
    receipt = missing.submit(["x"], sender=owner, gas=2_000_000, raise_on_revert=False)
    assert receipt.failed

    top = chain.provider.make_request("debug_traceTransaction", [receipt.txn_hash, CALL_TRACER])
    assert top["error"] == "execution reverted" and top["revertReason"] == NOT_FOUND
    assert int(top["gasUsed"], 16) == receipt.gas_used
    (call,) = top["calls"]
    assert call["to"] == OG_INFERENCE and call["revertReason"] == NOT_FOUND
    tree = receipt.trace.get_calltree()
    assert tree.failed and tree.calls[0].failed
    assert receipt.trace.revert_message == NOT_FOUND
    shown = io.StringIO()
    receipt.show_trace(file=shown)
    assert f'reverted with message: "{NOT_FOUND}"' in shown.getvalue(), shown.getvalue()
    assert "SentimentGate.submit" in shown.getvalue(), shown.getvalue()


def test_earlier_transactions_of_the_block_are_replayed(chain, accounts, gate):
    """Two txs in one block: the second's pre-state includes the first (its SSTOREs find
    the slots already set: the second pays less, and its trace must charge exactly that)."""
    sender = accounts[3]
    backend = chain.provider.tester.backend
    nonce = sender.nonce
    hashes = []
    for offset, words in enumerate((["good", "strong"], ["good", "solid"])):
        tx = gate.submit.as_transaction(words, sender=sender, gas=2_000_000, nonce=nonce + offset)
        signed = sender.sign_transaction(tx)
        hashes.append(backend.send_raw_transaction(signed.serialize_transaction()))
    pending = [trace_hash(chain, h) for h in hashes]  # in the pending block
    backend.mine_blocks(1)  # both in one block, the eth-tester way (no auto-mine in between)

    receipts = [chain.provider.get_receipt(Web3.to_hex(h)) for h in hashes]
    assert receipts[0].block_number == receipts[1].block_number
    assert receipts[1].gas_used < receipts[0].gas_used
    for receipt, before_seal in zip(receipts, pending, strict=True):
        top = trace_hash(chain, receipt.txn_hash)
        assert int(top["gasUsed"], 16) == receipt.gas_used
        assert top == before_seal


def trace_hash(chain, tx_hash) -> dict:
    tx_hash = tx_hash if isinstance(tx_hash, str) else Web3.to_hex(tx_hash)
    return chain.provider.make_request("debug_traceTransaction", [tx_hash, WITH_LOG])


RANDAO_RUNTIME = "448060005560005260206000f3"
"""Runtime code: store PREVRANDAO in slot 0 and return it."""
RANDAO_INIT = "0x600d80600b6000396000f3" + RANDAO_RUNTIME


def test_trace_sees_the_prevrandao_the_transaction_saw(chain, owner):
    """eth-tester draws a block's mixHash when it seals it, after its transactions ran with
    the pending block's: the trace must re-execute with the latter."""
    w3 = chain.provider.web3
    deployed = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": owner.address, "data": RANDAO_INIT})
    )
    tx_hash = w3.eth.send_transaction({"from": owner.address, "to": deployed.contractAddress})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1
    seen = w3.eth.get_storage_at(deployed.contractAddress, 0)

    top = chain.provider.make_request("debug_traceTransaction", [Web3.to_hex(tx_hash), CALL_TRACER])
    assert top["output"] == Web3.to_hex(seen)
    assert int(top["gasUsed"], 16) == receipt.gasUsed


def test_a_reverted_block_is_not_traced(chain, owner, gate):
    """After a snapshot revert (Ape's test isolation) the undone transaction is not found,
    even once another transaction is mined at its height."""
    snapshot = chain.snapshot()
    undone = gate.submit(["good", "strong"], sender=owner)
    chain.restore(snapshot)
    other = gate.submit(["good", "solid", "fine"], sender=owner)
    assert other.block_number == undone.block_number
    with pytest.raises(ProviderError, match="not found"):
        chain.provider.make_request("debug_traceTransaction", [undone.txn_hash, CALL_TRACER])
    top = chain.provider.make_request("debug_traceTransaction", [other.txn_hash, CALL_TRACER])
    assert int(top["gasUsed"], 16) == other.gas_used


def test_trace_call(chain, owner, gate):
    data = Web3.to_hex(gate.submit.encode_input(["good", "strong"]))
    call_params = {"from": owner.address, "to": gate.address, "data": data}
    top = chain.provider.make_request("debug_traceCall", [call_params, "latest", CALL_TRACER])
    assert top["to"] == gate.address.lower()
    assert decode(["bool"], bytes.fromhex(top["output"][2:])) == (True,)
    (call,) = top["calls"]
    assert call["to"] == OG_INFERENCE and call["input"].startswith(RUN_MODEL_INFERENCE)

    empty = Web3.to_hex(gate.submit.encode_input([]))
    reverted = chain.provider.make_request(
        "debug_traceCall", [{**call_params, "data": empty}, "latest", CALL_TRACER]
    )
    assert reverted["error"] == "execution reverted"
    assert reverted["output"] == Web3.keccak(text="EmptyText()")[:4].to_0x_hex()


def test_pipe_traces_follow_each_phase(chain, owner, gate):
    """With PIPE on, a mined transaction is traced with the real result it got (`submit`
    returns true) and `debug_traceCall` with the simulation pass's (false), as `eth_call`."""
    provider = chain.provider
    estimate = gate.submit.estimate_gas_cost(["good", "strong"], sender=owner)
    provider.pipe = True
    try:
        receipt = gate.submit(["good", "strong"], sender=owner, gas=estimate * 3)
        mined = provider.make_request("debug_traceTransaction", [receipt.txn_hash, CALL_TRACER])
        data = Web3.to_hex(gate.submit.encode_input(["good", "strong"]))
        call = {"from": owner.address, "to": gate.address, "data": data}
        simulated = provider.make_request("debug_traceCall", [call, "latest", CALL_TRACER])
    finally:
        provider.pipe = False
    assert receipt.return_value is True
    assert decode(["bool"], bytes.fromhex(mined["output"][2:])) == (True,)
    assert int(mined["gasUsed"], 16) == receipt.gas_used
    assert decode(["bool"], bytes.fromhex(simulated["output"][2:])) == (False,)


def test_the_default_tracer_is_the_struct_logger(chain, owner, gate):
    """geth's default (no `tracer`): struct logs, in process as on the node; Ape's raw frames
    read them. The trace reads the result cache: no model runs again."""
    provider = chain.provider
    receipt = gate.submit(["good"], sender=owner)
    runs = provider.tracer.replay.model_runs
    result = provider.make_request("debug_traceTransaction", [receipt.txn_hash])
    assert result["gas"] == receipt.gas_used and result["failed"] is False
    assert result["returnValue"] == "0x" + "00" * 31 + "01"
    steps = result["structLogs"]
    assert steps[0]["pc"] == 0 and steps[0]["depth"] == 1 and steps[-1]["op"] == "RETURN"
    (call,) = [s for s in steps if s["op"] == "CALL"]
    assert call["stack"][-2] == "0xf4"
    assert "memory" not in steps[0]
    frames = list(receipt.trace.get_raw_frames())
    assert [f["pc"] for f in frames] == [s["pc"] for s in steps]
    assert provider.tracer.replay.model_runs == runs
    with pytest.raises(ProviderError, match="invalid argument 1"):
        provider.make_request("debug_traceTransaction", [receipt.txn_hash, {"limit": "x"}])


def test_trace_request_errors(chain, owner, gate):
    receipt = gate.submit(["good"], sender=owner)
    with pytest.raises(ProviderError, match="not found"):
        chain.provider.make_request("debug_traceTransaction", ["0x" + "ab" * 32, CALL_TRACER])
    with pytest.raises(ProviderError, match="not found"):
        chain.provider.make_request(
            "debug_traceTransaction", [receipt.txn_hash, {"tracer": "prestateTracer"}]
        )


GAS_TEST = """
def test_submit(project, accounts):
    gate = accounts[0].deploy(project.SentimentGate, "sentiment")
    receipt = gate.submit(["good", "strong"], sender=accounts[0])
    assert receipt.status == 1
    (call,) = receipt.trace.get_calltree().calls
    print("FIGURES", receipt.gas_used, call.gas_cost)
"""


def test_ape_test_gas_report(tmp_path, project, model_store):
    """`ape test --gas` in a process of its own: the gas table names the user's function and
    0xF4's, with the receipt's and the trace's figures, and says nothing about tracing being
    unsupported."""
    project.SentimentGate  # noqa: B018 - compiled (and cached in .build) before the run
    test_file = tmp_path / "test_gas_profile.py"
    test_file.write_text(GAS_TEST)
    ape = Path(sys.executable).parent / "ape"
    done = subprocess.run(
        [str(ape), "test", str(test_file), "--gas", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env={**os.environ, "OGKIT_MODEL_STORE": str(model_store.root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, (out[-4000:], done.stderr[-4000:])
    assert "does not support transaction tracing" not in out
    assert "No gas usage data found" not in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()}
    receipt_gas, call_gas = re.search(r"FIGURES (\d+) (\d+)", out).groups()
    assert int(call_gas) >= 25_000  # 0xF4's base charge
    assert rows["submit"] == ["1", *[receipt_gas] * 4], out
    assert rows["runModelInference"] == ["1", *[call_gas] * 4], out
    assert "SentimentGate Gas" in out and "OGInference Gas" in out
