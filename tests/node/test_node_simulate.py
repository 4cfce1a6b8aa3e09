"""`eth_simulateV1` on `ogkit node` (issue 14, item 3): blocks of calls with block and state
overrides, answered as geth answers them, with nothing written to the chain."""

from __future__ import annotations

import pytest
import rlp
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from node_support import RpcFailure

SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
EMITTER = "0x435f52602a60205fa1425f5260205ff3"
"""Logs NUMBER (32 bytes) under topic 0x2a and returns TIMESTAMP."""
COUNTER = "0x5f54600101805f555f5260205ff3"
"""Adds one to slot 0 and returns the new value."""
PARENT_HASH = "0x4360019003405f5260205ff3"
"""Returns BLOCKHASH(NUMBER - 1)."""
FORWARD = "0x5f5f5f5f600161beef5af100"
"""Sends 1 wei to 0xbeef."""


def env_code(rich: str) -> str:
    """Returns PREVRANDAO, BASEFEE, BLOBBASEFEE, COINBASE, GASLIMIT, TIMESTAMP and NUMBER;
    given any input, the BALANCE of `rich` instead."""
    ops = ["44", "48", "4a", "41", "45", "42", "43"]
    body = "".join(f"{op}60{32 * i:02x}52" for i, op in enumerate(ops)) + "60e05ff3"
    balance = f"{4 + len(body) // 2:02x}"
    return f"0x3660{balance}57" + body + "5b73" + rich[2:] + "315f5260205ff3"


CLEAR = "0x5f5f5500"
"""Sets slot 0 to zero (a refund when it held a value)."""
LOOP = "0x5b5f56"
"""JUMPDEST PUSH0 JUMP: runs until its gas or the deadline ends it."""
REASON = bytes.fromhex("08c379a0") + encode(["string"], ["nope"])
REVERTER = f"0x60{len(REASON):02x}600a5f3960{len(REASON):02x}5ffd" + REASON.hex()
"""Reverts with Error("nope")."""
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def word(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def fresh(seed: int) -> str:
    return "0x" + f"{0x51A0000 + seed:040x}"


def padded(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


def simulate(node, blocks, tag="latest", **options):
    return node.rpc("eth_simulateV1", {"blockStateCalls": blocks, **options}, tag)


def refused(node, *params) -> RpcFailure:
    with pytest.raises(RpcFailure) as failure:
        node.rpc("eth_simulateV1", *params)
    assert node.rpc("eth_chainId") == "0x539"  # still serving
    return failure.value


def test_blocks_carry_state_and_take_their_overrides(node):
    emitter, counter, parent = fresh(1), fresh(2), fresh(3)
    head = node.rpc("eth_getBlockByNumber", "latest", False)
    base, start = int(head["number"], 16), int(head["timestamp"], 16)
    recipient = fresh(4)
    blocks = simulate(
        node,
        [
            {
                "blockOverrides": {"time": hex(start + 100), "feeRecipient": recipient},
                "stateOverrides": {
                    emitter: {"code": EMITTER},
                    counter: {"code": COUNTER},
                    parent: {"code": PARENT_HASH},
                },
                "calls": [{"from": SENDER, "to": emitter}, {"from": SENDER, "to": counter}],
            },
            {
                "blockOverrides": {"number": hex(base + 3), "time": hex(start + 200)},
                "calls": [{"from": SENDER, "to": counter}, {"to": parent}],
            },
        ],
    )
    first, gap, last = blocks
    assert [int(b["number"], 16) for b in blocks] == [base + 1, base + 2, base + 3]
    assert [int(b["timestamp"], 16) for b in blocks] == [start + 100, start + 112, start + 200]
    assert first["parentHash"] == head["hash"]
    assert gap["parentHash"] == first["hash"] and last["parentHash"] == gap["hash"]
    assert [b["miner"] for b in blocks] == [recipient] * 3  # carried, as geth does
    assert gap["transactions"] == gap["calls"] == [] and gap["gasUsed"] == "0x0"
    assert first["baseFeePerGas"] == "0x0"  # no validation: geth's NoBaseFee

    logged, counted = first["calls"]
    assert logged["returnData"] == word(start + 100) and logged["status"] == "0x1"
    assert logged["logs"] == [
        {
            "address": emitter,
            "topics": [word(0x2A)],
            "data": word(base + 1),
            "blockNumber": first["number"],
            "blockHash": first["hash"],
            "blockTimestamp": first["timestamp"],
            "transactionHash": first["transactions"][0],
            "transactionIndex": "0x0",
            "logIndex": "0x0",
            "removed": False,
        }
    ]
    assert counted == {
        "returnData": word(1),
        "logs": [],
        "gasUsed": counted["gasUsed"],
        "maxUsedGas": counted["gasUsed"],  # no refund
        "status": "0x1",
    }
    again, hashed = last["calls"]
    assert again["returnData"] == word(2)  # the first block's write is seen two blocks on
    assert hashed["returnData"] == gap["hash"]  # BLOCKHASH sees the simulated parent
    assert int(first["gasUsed"], 16) == sum(int(c["gasUsed"], 16) for c in first["calls"])

    assert int(node.rpc("eth_blockNumber"), 16) == base  # nothing was mined
    assert node.rpc("eth_getCode", counter, "latest") == "0x"  # nor written
    assert node.rpc("eth_getBlockByHash", first["hash"], False) is None


def test_block_overrides_reach_the_evm_and_the_header(node):
    env, rich = fresh(15), fresh(16)
    overrides = {
        "number": hex(int(node.rpc("eth_blockNumber"), 16) + 1),
        "time": hex(4_000_000_000),
        "gasLimit": hex(16_000_000),
        "feeRecipient": fresh(17),
        "prevRandao": word(0x77),
        "baseFeePerGas": "0x7",
        "blobBaseFee": "0x9",
        "beaconRoot": word(0xBEAC0),
        "withdrawals": [
            {"index": "0x0", "validatorIndex": "0x1", "address": rich, "amount": "0x5"}
        ],
    }
    first, second = simulate(
        node,
        [
            {
                "blockOverrides": overrides,
                "stateOverrides": {env: {"code": env_code(rich)}},
                "calls": [{"to": env}],
            },
            {"calls": [{"to": env}, {"to": env, "input": "0x01"}]},
        ],
    )
    values = [overrides[k] for k in ("prevRandao", "baseFeePerGas", "blobBaseFee")]
    values += [overrides["feeRecipient"], overrides["gasLimit"], overrides["time"]]
    expected = "0x" + "".join(f"{int(v, 16):064x}" for v in [*values, overrides["number"]])
    assert first["calls"][0]["returnData"] == expected
    assert (first["mixHash"], first["baseFeePerGas"], first["parentBeaconBlockRoot"]) == (
        word(0x77),
        "0x7",
        word(0xBEAC0),
    )
    assert (first["miner"], first["gasLimit"]) == (fresh(17), hex(16_000_000))
    assert first["withdrawals"] == [
        {"index": "0x0", "validatorIndex": "0x1", "address": rich, "amount": "0x5"}
    ]
    assert first["withdrawalsRoot"] != second["withdrawalsRoot"]  # the empty list's
    assert second["baseFeePerGas"] == "0x0" and second["mixHash"] == word(0)
    assert second["gasLimit"] == hex(16_000_000)  # carried, as geth does
    balance = second["calls"][1]["returnData"]
    assert int(balance, 16) == 5 * 10**9  # the withdrawal (gwei) was paid at the block's end


def test_failed_calls_report_geth_errors_and_the_block_goes_on(node):
    reverter, emitter = fresh(10), fresh(11)
    (block,) = simulate(
        node,
        [
            {
                "stateOverrides": {reverter: {"code": REVERTER}, emitter: {"code": EMITTER}},
                "calls": [
                    {"from": SENDER, "to": reverter},
                    {"from": SENDER, "to": emitter, "input": "0xfe"},
                    {"from": SENDER, "to": fresh(12), "input": "0x", "gas": hex(21_000)},
                    {"from": SENDER, "to": emitter, "gas": hex(21_010)},
                ],
            }
        ],
    )
    reverted, logged, plain, starved = block["calls"]
    assert reverted == {
        "returnData": "0x",
        "logs": [],
        "gasUsed": reverted["gasUsed"],
        "maxUsedGas": reverted["gasUsed"],
        "status": "0x0",
        "error": {"message": "execution reverted: nope", "code": 3, "data": "0x" + REASON.hex()},
    }
    assert logged["status"] == "0x1" and logged["logs"][0]["logIndex"] == "0x0"
    assert plain == {
        "returnData": "0x",
        "logs": [],
        "gasUsed": "0x5208",
        "maxUsedGas": "0x5208",
        "status": "0x1",
    }
    assert starved["status"] == "0x0" and starved["gasUsed"] == hex(21_010)
    assert starved["error"] == {"message": "out of gas", "code": -32015}
    assert len(block["transactions"]) == 4


def test_gas_used_is_after_the_refund_and_the_floor_max_used_gas_before(node):
    clear = fresh(13)
    (block,) = simulate(
        node,
        [
            {
                "stateOverrides": {clear: {"code": CLEAR, "state": {word(0): word(1)}}},
                "calls": [
                    {"from": SENDER, "to": clear},
                    {"from": SENDER, "to": fresh(14), "input": "0x" + "ab" * 100},
                ],
            }
        ],
    )
    refunded, floored = block["calls"]
    # 21000 + 2 PUSH0 + a cold SSTORE 1 -> 0 (5000), then 4800 back (EIP-3529)
    assert (refunded["gasUsed"], refunded["maxUsedGas"]) == (hex(21_204), hex(26_004))
    # 100 non-zero bytes: intrinsic 22600, EIP-7623's floor 25000 is charged
    assert (floored["gasUsed"], floored["maxUsedGas"]) == (hex(25_000), hex(25_000))
    assert block["gasUsed"] == hex(21_204 + 25_000)


def test_trace_transfers_reports_ether_moves_as_logs(node):
    forward = fresh(20)
    blocks = [
        {
            "stateOverrides": {
                forward: {"code": FORWARD},
                fresh(21): {"code": "0x61beefff", "balance": "0x9"},
            },
            "calls": [
                {"from": SENDER, "to": forward, "value": "0x5"},
                {"from": SENDER, "value": "0x7", "input": "0x00"},  # creates; init code STOPs
                {"from": SENDER, "to": fresh(21)},  # SELFDESTRUCT to 0xbeef
            ],
        }
    ]
    (traced,) = simulate(node, blocks, traceTransfers=True)
    (plain,) = simulate(node, blocks)
    nonce = int(node.rpc("eth_getTransactionCount", SENDER, "latest"), 16) + 1
    created = "0x" + keccak(rlp.encode([bytes.fromhex(SENDER[2:]), nonce]))[12:].hex()
    logs = [log for call in traced["calls"] for log in call["logs"]]
    ether = "0x" + "ee" * 20
    assert [(log["address"], log["topics"], log["data"], log["logIndex"]) for log in logs] == [
        (ether, [TRANSFER_TOPIC, padded(SENDER), padded(forward)], word(5), "0x0"),
        (ether, [TRANSFER_TOPIC, padded(forward), word(0xBEEF)], word(1), "0x1"),
        (ether, [TRANSFER_TOPIC, padded(SENDER), padded(created)], word(7), "0x2"),
        (ether, [TRANSFER_TOPIC, padded(fresh(21)), word(0xBEEF)], word(9), "0x3"),
    ]
    assert [call["logs"] for call in plain["calls"]] == [[], [], []]
    assert traced["logsBloom"] == plain["logsBloom"]  # receipts hold real logs only


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
        [{"calls": [{"from": SENDER, "to": fresh(30), "nonce": "0x99"}]}],
        returnFullTransactions=True,
    )
    tx = free["transactions"][0]
    assert (tx["from"], tx["nonce"], tx["type"], tx["to"]) == (SENDER, "0x99", "0x2", fresh(30))
    assert (tx["r"], tx["s"], tx["maxFeePerGas"]) == ("0x0", "0x0", "0x0")  # unsigned, free


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


def test_precompiles_move_and_overridden_ones_are_code(node):
    target = fresh(40)
    identity = "0x" + "00" * 19 + "04"
    (block,) = simulate(
        node,
        [
            {
                "stateOverrides": {identity: {"movePrecompileToAddress": target}},
                "calls": [
                    {"to": target, "input": "0xc0ffee"},
                    {"to": identity, "input": "0xc0ffee"},
                ],
            }
        ],
    )
    assert [c["returnData"] for c in block["calls"]] == ["0xc0ffee", "0x"]
    not_one = refused(
        node,
        {"blockStateCalls": [{"stateOverrides": {target: {"movePrecompileToAddress": fresh(41)}}}]},
    )
    assert (not_one.code, not_one.message) == (
        -32000,
        f"account {to_checksum_address(target)} is not a precompile",
    )


def test_warm_precompiles_are_the_forks_whatever_the_overrides(node):
    """geth warms the fork's precompile addresses (EIP-2929), not the block's overridden
    map: an overridden precompile stays warm, a moved one's new address is cold."""
    probe, moved = fresh(42), fresh(43)

    def extcodehash(target: str) -> str:  # PUSH20 target, EXTCODEHASH, POP, STOP
        return "0x73" + target[2:] + "3f5000"

    (block,) = simulate(
        node,
        [
            {
                "stateOverrides": {
                    "0x" + "00" * 19 + "04": {"code": "0x00"},
                    "0x" + "00" * 19 + "02": {"movePrecompileToAddress": moved},
                    probe: {"code": extcodehash("0x" + "00" * 19 + "04")},
                    fresh(44): {"code": extcodehash(moved)},
                },
                "calls": [{"to": probe}, {"to": fresh(44)}],
            }
        ],
    )
    # PUSH (3) + EXTCODEHASH warm 100 / cold 2600 + POP (2)
    assert [c["gasUsed"] for c in block["calls"]] == [hex(21_105), hex(23_605)]


def test_a_call_past_the_deadline_stops_and_the_node_serves_on(node):
    loop = fresh(50)
    failure = refused(
        node,
        {"blockStateCalls": [{"stateOverrides": {loop: {"code": LOOP}}, "calls": [{"to": loop}]}]},
    )
    assert (failure.code, failure.message) == (-32000, "execution aborted (timeout = 5s)")
