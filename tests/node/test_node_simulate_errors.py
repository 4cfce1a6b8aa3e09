"""`eth_simulateV1` refusals (issue 14, item 3): validation, block order and limits,
malformed input and edge values give geth's JSON-RPC errors, and the node keeps serving."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address
from sim_support import SENDER, fresh, refused, simulate


def test_validation_checks_nonces_fees_and_funds(node):
    nonce = int(node.rpc("eth_getTransactionCount", SENDER, "latest"), 16)
    pending = node.rpc("eth_getBlockByNumber", "pending", False)
    fee = int(pending["baseFeePerGas"], 16)
    paid = {"from": SENDER, "to": fresh(30), "maxFeePerGas": hex(fee), "gas": hex(21_000)}
    (block,) = simulate(
        node,
        [{"calls": [{**paid, "nonce": hex(nonce)}, {**paid, "nonce": hex(nonce + 1)}]}],
        validation=True,
    )
    assert block["baseFeePerGas"] == hex(fee)  # EIP-1559's, from the parent
    assert [c["status"] for c in block["calls"]] == ["0x1", "0x1"]

    def code(call, validation=True, overrides=None):
        blocks = [{"calls": [call], **({"stateOverrides": overrides} if overrides else {})}]
        return refused(node, {"blockStateCalls": blocks, "validation": validation}, "latest")

    high = code({**paid, "nonce": hex(nonce + 1)})
    assert high.code == -38011 and high.message == (
        f"err: nonce too high: address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, "
        f"tx: {nonce + 1} state: {nonce} (supplied gas 21000)"
    )
    assert code({**paid, "nonce": "0x0"}, overrides={SENDER: {"nonce": "0x5"}}).code == -38010
    low_fee = code({**paid, "maxFeePerGas": hex(fee - 1)})
    assert low_fee.code == -38012 and "max fee per gas less than block base fee" in low_fee.message
    tip = code({**paid, "maxPriorityFeePerGas": hex(fee + 1)})
    assert tip.code == -32602 and tip.message.startswith("err: max priority fee per gas higher")
    poor = code({"from": fresh(31), "to": fresh(30), "value": "0x1"}, validation=False)
    limit = int(node.rpc("eth_getBlockByNumber", "latest", False)["gasLimit"], 16)
    assert poor.code == -38014 and poor.message.endswith(f"have 0 want 1 (supplied gas {limit})")
    intrinsic = code({"from": SENDER, "to": fresh(30), "gas": hex(20_000)}, validation=False)
    assert (intrinsic.code, intrinsic.message) == (
        -38013,
        "err: intrinsic gas too low: have 20000, want 21000 (supplied gas 20000)",
    )
    too_much = code({"from": SENDER, "to": fresh(30), "gas": hex(2**40)}, validation=False)
    assert too_much.code == -38015 and too_much.message.startswith("block gas limit reached")

    # without validation a nonce is taken as given, and nothing is charged
    (free,) = simulate(
        node,
        [
            {
                "calls": [
                    {"from": SENDER, "to": fresh(30), "nonce": "0x99"},
                    {"from": SENDER, "to": fresh(30), "gasPrice": "0x3"},
                ]
            }
        ],
        returnFullTransactions=True,
    )
    tx, legacy = free["transactions"]
    assert (tx["from"], tx["nonce"], tx["type"], tx["to"]) == (SENDER, "0x99", "0x2", fresh(30))
    assert (tx["r"], tx["s"], tx["maxFeePerGas"]) == ("0x0", "0x0", "0x0")  # unsigned, free
    # geth raises the state's nonce, not the one given: the next call takes state + 1
    after = hex(int(node.rpc("eth_getTransactionCount", SENDER, "latest"), 16) + 1)
    assert (legacy["type"], legacy["gasPrice"], legacy["nonce"]) == ("0x0", "0x3", after)


def test_the_block_simulated_on_is_the_one_named(node):
    node.rpc("eth_sendTransaction", {"from": SENDER, "to": fresh(32), "value": "0x1"})
    number = int(node.rpc("eth_blockNumber"), 16)
    at_zero = {"calls": [{"from": SENDER, "to": fresh(32)}]}
    (genesis,) = simulate(node, [at_zero], "earliest", returnFullTransactions=True)
    assert genesis["number"] == "0x1" and genesis["transactions"][0]["nonce"] == "0x0"
    parent = node.rpc("eth_getBlockByNumber", hex(number - 1), False)
    (by_hash,) = simulate(node, [{}], {"blockHash": parent["hash"]})
    assert (by_hash["number"], by_hash["parentHash"]) == (hex(number), parent["hash"])
    (pending,) = simulate(node, [{}], "pending")
    assert pending["number"] == hex(number + 2)
    unknown = refused(node, {"blockStateCalls": [{}]}, {"blockHash": "0x" + "ab" * 32})
    assert (unknown.code, unknown.message) == (-32000, "header not found")
    future = refused(node, {"blockStateCalls": [{}]}, hex(number + 5))
    assert (future.code, future.message) == (-32000, "header not found")


def test_block_order_and_limits(node):
    number = int(node.rpc("eth_blockNumber"), 16)
    head = node.rpc("eth_getBlockByNumber", "latest", False)
    backwards = refused(node, {"blockStateCalls": [{"blockOverrides": {"number": hex(number)}}]})
    assert (backwards.code, backwards.message) == (
        -38020,
        f"block numbers must be in order: {number} <= {number}",
    )
    early = refused(node, {"blockStateCalls": [{"blockOverrides": {"time": head["timestamp"]}}]})
    assert early.code == -38021 and early.message.startswith("block timestamps must be in order")
    far = refused(node, {"blockStateCalls": [{"blockOverrides": {"number": hex(number + 257)}}]})
    assert (far.code, far.message) == (-38026, "too many blocks")
    many = refused(node, {"blockStateCalls": [{}] * 257})
    assert (many.code, many.message) == (-38026, "too many blocks")
    calls = refused(node, {"blockStateCalls": [{"calls": [{}] * 5_001}]})
    assert (calls.code, calls.message) == (-38026, "too many calls in block: 5001 > 5000")
    total = refused(node, {"blockStateCalls": [{"calls": [{}] * 4_000}] * 3})
    assert (total.code, total.message) == (-38026, "too many calls: 12000 > 10000")
    assert len(simulate(node, [{}] * 256)) == 256  # the limit itself is fine


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([], "expected at least 1 param"),
        (["0x1"], "simulation: expected an object"),
        ([{"blockStateCalls": []}], "empty input"),
        ([{"blockStateCalls": {}}], "blockStateCalls: expected an array"),
        ([{"blockStateCalls": [{}], "bogus": 1}], "unknown field 'bogus'"),
        ([{"blockStateCalls": [{"extra": []}]}], "blockStateCalls[0]: unknown field 'extra'"),
        ([{"blockStateCalls": [{"blockOverrides": {"numbr": "0x1"}}]}], "unknown field 'numbr'"),
        ([{"blockStateCalls": [{"calls": [{"too": "0x1"}]}]}], "unknown field 'too'"),
        ([{"blockStateCalls": [{"calls": [{"to": "0x12"}]}]}], "expected 20 bytes"),
        ([{"blockStateCalls": [{"calls": [{"blobs": []}]}]}], "blobs is not supported"),
        (
            [{"blockStateCalls": [{"stateOverrides": {SENDER: {"state": {}, "stateDiff": {}}}}]}],
            "has both 'state' and 'stateDiff'",
        ),
        ([{"blockStateCalls": [{}], "validation": "yes"}], "validation: expected a boolean"),
        ([{"blockStateCalls": [{}]}, "nope"], "unknown block tag"),
        ([{"blockStateCalls": [{}]}, "latest", 1], "expected at most 2 param"),
    ],
)
def test_malformed_requests_are_invalid_params(node, params, message):
    failure = refused(node, *params)
    assert failure.code == -32602 and message in failure.message


def test_edge_values_are_refused_or_ignored_without_an_internal_error(node):
    limit = int(node.rpc("eth_getBlockByNumber", "latest", False)["gasLimit"], 16)
    exhausted = {SENDER: {"nonce": hex(2**64 - 1)}}
    blocks = [{"stateOverrides": exhausted, "calls": [{"from": SENDER, "to": fresh(61)}] * 2}]
    (wrapped,) = simulate(node, blocks)  # geth raises the nonce as a uint64: to 0
    assert [call["status"] for call in wrapped["calls"]] == ["0x1", "0x1"]
    failure = refused(node, {"blockStateCalls": blocks, "validation": True})
    assert (failure.code, failure.message) == (
        -32603,  # geth's code for it
        f"err: nonce has max value: address {to_checksum_address(SENDER)}, "
        f"nonce: {2**64 - 1} (supplied gas {limit})",
    )
    create = [{"stateOverrides": exhausted, "calls": [{"from": SENDER}]}]
    assert refused(node, {"blockStateCalls": create}).message.startswith(
        "err: nonce uint64 overflow"
    )
    rich = {fresh(60): {"balance": hex(2**256 - 1)}}
    paid = {"index": "0x0", "validatorIndex": "0x0", "address": fresh(60), "amount": "0x1"}
    overflow = refused(
        node,
        {"blockStateCalls": [{"stateOverrides": rich, "blockOverrides": {"withdrawals": [paid]}}]},
    )
    assert (overflow.code, overflow.message) == (
        -32000,
        "withdrawal 0: the balance would exceed 2^256-1",
    )
    (block,) = simulate(node, [{"blockOverrides": {"difficulty": "0x5"}}])
    assert block["difficulty"] == "0x0"  # post-merge: a no-op, as geth says
