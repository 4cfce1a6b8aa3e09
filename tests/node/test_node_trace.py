"""`debug_traceTransaction` / `debug_traceCall` with geth's callTracer on `ogkit node`.

A real node process, driven with web3.py: an inference transaction's trace shows the
contract's CALL to 0xF4 with the `runModelInference` calldata and the ABI-encoded output,
served from the inference engine's result cache (no model runs again); a probe contract shows
every frame type (STATICCALL, DELEGATECALL, CREATE2, CREATE, a reverted call, CALL) with
geth's fields; dev state changes (anvil_setCode, impersonation) are re-executed on the state
the transaction really saw; and a restarted node still traces from its data directory.
"""

from __future__ import annotations

import time

import pytest
from eth_abi import decode
from eth_account import Account
from node_support import (
    DEV_KEYS,
    SENTIMENT_WORDS,
    NodeProcess,
    RpcFailure,
    compile_solidity,
    deploy,
    transact,
)
from web3 import Web3

from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC

OG_INFERENCE = "0x00000000000000000000000000000000000000f4"
RUN_MODEL_INFERENCE = "0x7289e9c2"
EVENT_TOPIC = "0x" + MODEL_INFERENCE_EVENT_TOPIC.to_bytes(32, "big").hex()
CALL_TRACER = {"tracer": "callTracer"}
OWNER = Account.from_key(DEV_KEYS[0]).address

PROBE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

contract Leaf {
    uint256 public x;
    event Set(uint256 v);
    function set(uint256 v) external returns (uint256) { x = v; emit Set(v); return v * 2; }
    function boom() external pure { revert("leaf says no"); }
}

contract Prober {
    uint256 public x;
    function probe(address leaf) external returns (uint256 r) {
        (bool ok, ) = leaf.staticcall(abi.encodeWithSignature("x()"));
        require(ok, "staticcall");
        (ok, ) = leaf.delegatecall(abi.encodeWithSignature("set(uint256)", 7));
        require(ok, "delegatecall");
        new Leaf{salt: bytes32(uint256(1))}();
        new Leaf();
        try Leaf(leaf).boom() {} catch {}
        r = Leaf(leaf).set(5);
    }
}
"""
RETURN_42 = "0x602a60005260206000f3"
"""Runtime code: return the word 42."""


def fresh_words() -> list[str]:
    """Words no earlier run sent, so the model really runs for them."""
    return [*SENTIMENT_WORDS, f"trace{time.monotonic_ns()}"]


def trace(node: NodeProcess, tx_hash, **config) -> dict:
    options = {**CALL_TRACER, "tracerConfig": config} if config else CALL_TRACER
    return node.rpc("debug_traceTransaction", Web3.to_hex(tx_hash), options)


def test_inference_transaction_shows_the_call_to_0xf4(node, w3, gate):
    receipt = transact(w3, DEV_KEYS[0], gate.functions.submit(fresh_words()))
    assert receipt.status == 1
    before = node.rpc("ogkit_inferenceStats")

    top = trace(node, receipt.transactionHash, withLog=True)

    after = node.rpc("ogkit_inferenceStats")
    tx = w3.eth.get_transaction(receipt.transactionHash)
    assert top["type"] == "CALL"
    assert top["from"] == OWNER.lower()
    assert top["to"] == gate.address.lower()
    assert top["input"] == tx.input.to_0x_hex()
    assert top["value"] == "0x0"
    assert int(top["gas"], 16) == tx.gas
    assert int(top["gasUsed"], 16) == receipt.gasUsed  # the re-execution charged the same
    assert decode(["bool"], bytes.fromhex(top["output"][2:])) == (True,)
    assert "error" not in top

    (call,) = top["calls"]
    assert call["type"] == "CALL"
    assert call["from"] == gate.address.lower()
    assert call["to"] == OG_INFERENCE
    assert call["input"].startswith(RUN_MODEL_INFERENCE)
    assert int(call["gasUsed"], 16) >= 25_000  # the precompile's base charge
    assert int(call["gas"], 16) > int(call["gasUsed"], 16)
    assert len(call["output"]) > 2 and "error" not in call
    (event,) = call["logs"]
    assert event["address"] == OG_INFERENCE and event["topics"][0] == EVENT_TOPIC
    assert event["position"] == "0x0"
    assert event["data"] == next(
        log.data.to_0x_hex() for log in receipt.logs if log.address.lower() == OG_INFERENCE
    )
    (recorded,) = top["logs"]  # SentimentRecorded, emitted after the 0xF4 call
    assert recorded["address"] == gate.address.lower() and recorded["position"] == "0x1"

    # served from the result cache: no model ran for the trace, and nothing was recorded
    assert after["modelRuns"] == before["modelRuns"]
    assert after["traceModelRuns"] == before["traceModelRuns"]
    assert after["traceCacheHits"] == before["traceCacheHits"] + 1
    assert trace(node, receipt.transactionHash, withLog=True) == top  # deterministic

    only_top = trace(node, receipt.transactionHash, onlyTopCall=True)
    assert "calls" not in only_top and only_top["gasUsed"] == top["gasUsed"]


def test_reverted_inference_has_error_and_reason(node, w3, sentiment):
    abi, bytecode = sentiment
    missing = deploy(w3, DEV_KEYS[0], abi, bytecode, "no-such-model")
    account = Account.from_key(DEV_KEYS[0])
    tx = missing.functions.submit(["x"]).build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address),
            "gas": 2_000_000,
        }
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    assert receipt.status == 0

    top = trace(node, tx_hash)
    reason = "OGInference: model not found: no-such-model"
    assert top["error"] == "execution reverted"
    assert top["revertReason"] == reason
    assert top["output"].startswith("0x08c379a0")
    assert int(top["gasUsed"], 16) == receipt.gasUsed
    (call,) = top["calls"]
    assert call["to"] == OG_INFERENCE and call["input"].startswith(RUN_MODEL_INFERENCE)
    assert call["error"] == "execution reverted" and call["revertReason"] == reason


def test_every_frame_type(node, w3):
    built = compile_solidity(PROBE)
    leaf = deploy(w3, DEV_KEYS[1], *built["Leaf"])
    prober = deploy(w3, DEV_KEYS[1], *built["Prober"])
    receipt = transact(w3, DEV_KEYS[1], prober.functions.probe(leaf.address))
    assert receipt.status == 1

    top = trace(node, receipt.transactionHash, withLog=True)
    assert int(top["gasUsed"], 16) == receipt.gasUsed
    assert decode(["uint256"], bytes.fromhex(top["output"][2:])) == (10,)
    kinds = [call["type"] for call in top["calls"]]
    assert kinds == ["STATICCALL", "DELEGATECALL", "CREATE2", "CREATE", "STATICCALL", "CALL"]
    static, delegate, create2, create, boom, call = top["calls"]
    prober_address, leaf_address = prober.address.lower(), leaf.address.lower()

    assert static["to"] == leaf_address and "value" not in static
    assert static["input"] == Web3.keccak(text="x()")[:4].to_0x_hex()
    assert delegate["from"] == prober_address and delegate["to"] == leaf_address
    assert decode(["uint256"], bytes.fromhex(delegate["output"][2:])) == (14,)
    (set_event,) = delegate["logs"]  # a delegatecall's log is the caller's
    assert set_event["address"] == prober_address
    for made in (create2, create):
        assert made["from"] == prober_address
        assert made["output"] == w3.eth.get_code(Web3.to_checksum_address(made["to"])).to_0x_hex()
        assert made["input"] == built["Leaf"][1]
    assert boom["error"] == "execution reverted" and boom["revertReason"] == "leaf says no"
    assert call["to"] == leaf_address and call["value"] == "0x0"
    assert decode(["uint256"], bytes.fromhex(call["output"][2:])) == (10,)
    assert call["logs"][0]["address"] == leaf_address

    deployment = trace(node, leaf_deploy_hash(w3, leaf.address))
    assert deployment["type"] == "CREATE"
    assert deployment["to"] == leaf_address
    assert deployment["output"] == w3.eth.get_code(leaf.address).to_0x_hex()


def leaf_deploy_hash(w3: Web3, address: str):
    block = w3.eth.get_block("latest")
    for number in range(block.number, -1, -1):
        for tx_hash in w3.eth.get_block(number).transactions:
            if w3.eth.get_transaction_receipt(tx_hash).contractAddress == address:
                return tx_hash
    raise AssertionError(f"no deployment of {address}")


def test_dev_state_changes_are_traced_as_executed(node, w3):
    """The trace runs on the state the transaction saw, dev overrides included."""
    target = Web3.to_checksum_address("0x" + "42" * 20)
    node.rpc("anvil_setCode", target, RETURN_42)
    whale = Web3.to_checksum_address("0x" + "77" * 20)
    node.rpc("anvil_setBalance", whale, hex(10**20))
    node.rpc("anvil_impersonateAccount", whale)
    tx_hash = w3.eth.send_transaction({"from": whale, "to": target, "data": "0x1234"})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    node.rpc("anvil_setCode", target, "0x")  # changed after: the trace must not see it

    top = trace(node, tx_hash)
    assert top["from"] == whale.lower() and top["to"] == target.lower()
    assert top["input"] == "0x1234"
    assert decode(["uint256"], bytes.fromhex(top["output"][2:])) == (42,)
    assert int(top["gasUsed"], 16) == receipt.gasUsed


def test_trace_call(node, w3, gate):
    owner = OWNER
    data = gate.encode_abi("submit", [SENTIMENT_WORDS])
    top = node.rpc(
        "debug_traceCall", {"from": owner, "to": gate.address, "data": data}, "latest", CALL_TRACER
    )
    assert top["type"] == "CALL" and top["to"] == gate.address.lower()
    assert decode(["bool"], bytes.fromhex(top["output"][2:])) == (True,)
    (call,) = top["calls"]
    assert call["to"] == OG_INFERENCE and call["input"].startswith(RUN_MODEL_INFERENCE)
    assert int(top["gasUsed"], 16) >= 21_000 + int(call["gasUsed"], 16)

    view = node.rpc(
        "debug_traceCall",
        {"to": gate.address, "data": gate.encode_abi("isPositive", [owner])},
        "latest",
        CALL_TRACER,
    )
    assert "calls" not in view and view["from"] == "0x" + "00" * 20
    positive = gate.functions.isPositive(owner).call()
    assert decode(["bool"], bytes.fromhex(view["output"][2:])) == (positive,)

    reverted = node.rpc(
        "debug_traceCall",
        {"from": owner, "to": gate.address, "data": gate.encode_abi("submit", [[]])},
        "latest",
        CALL_TRACER,
    )
    assert reverted["error"] == "execution reverted"
    assert reverted["output"] == Web3.keccak(text="EmptyText()")[:4].to_0x_hex()
    assert "revertReason" not in reverted  # a custom error is not a reason string


def test_trace_errors(node, w3, gate):
    some_tx = w3.eth.get_block(1).transactions[0]
    default = node.rpc("debug_traceTransaction", some_tx.to_0x_hex())  # geth's struct logger
    assert default["failed"] is False and default["structLogs"][0]["op"] == "PUSH1"
    with pytest.raises(RpcFailure) as other_tracer:
        node.rpc("debug_traceTransaction", some_tx.to_0x_hex(), {"tracer": "prestateTracer"})
    assert other_tracer.value.code == -32602
    with pytest.raises(RpcFailure) as unknown:
        node.rpc("debug_traceTransaction", "0x" + "ab" * 32, CALL_TRACER)
    assert unknown.value.code == -32000 and "not found" in unknown.value.message
    with pytest.raises(RpcFailure) as bad_hash:
        node.rpc("debug_traceTransaction", "__CHECK_IF_SUPPORTS_TRACING__")
    assert bad_hash.value.code == -32602
    with pytest.raises(RpcFailure) as bad_config:
        node.rpc(
            "debug_traceTransaction",
            some_tx.to_0x_hex(),
            {"tracer": "callTracer", "tracerConfig": {"withLog": "yes"}},
        )
    assert bad_config.value.code == -32602
    assert node.rpc("eth_blockNumber")  # still serving


def test_trace_after_restart(tmp_path, sentiment, model_store):
    """Pre-states live in the data directory; with the result cache gone, the model runs
    again for the trace (counted) and the frames are the same."""
    data_dir = tmp_path / "chain"
    first = NodeProcess(tmp_path, "--data-dir", str(data_dir), store=model_store.root).start()
    try:
        w3_first = Web3(Web3.HTTPProvider(first.url, request_kwargs={"timeout": 60}))
        abi, bytecode = sentiment
        gate = deploy(w3_first, DEV_KEYS[2], abi, bytecode, "sentiment")
        receipt = transact(w3_first, DEV_KEYS[2], gate.functions.submit(fresh_words()))
        before = trace(first, receipt.transactionHash, withLog=True)
    finally:
        first.stop()
    second = NodeProcess(tmp_path, "--data-dir", str(data_dir), store=model_store.root).start()
    try:
        assert trace(second, receipt.transactionHash, withLog=True) == before
        stats = second.rpc("ogkit_inferenceStats")
        assert stats["traceModelRuns"] == 1 and stats["traceCacheHits"] == 0
    finally:
        second.stop()


def test_error_words_are_geths():
    from eth.exceptions import InvalidInstruction, OutOfGas, Revert, StackDepthLimit

    from ogkit.chain.callframes import error_text

    assert error_text(Revert(b"")) == "execution reverted"
    assert error_text(OutOfGas("OGInference: out of gas")) == "out of gas"
    assert error_text(StackDepthLimit("Stack depth limit reached")) == "max call depth exceeded"
    assert error_text(InvalidInstruction("Invalid opcode 0xfe @ 12")) == "invalid opcode: 0xfe"
    assert error_text(InvalidInstruction("Jump resulted in invalid instruction")) == (
        "invalid jump destination"
    )
