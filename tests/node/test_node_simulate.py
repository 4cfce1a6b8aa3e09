"""`eth_simulateV1` on `ogkit node` (issue 14, item 3): blocks of calls with block and state
overrides, answered as geth answers them, with nothing written to the chain. Refusals and
bad input: test_node_simulate_errors.py."""

from __future__ import annotations

import rlp
from eth_utils import keccak, to_checksum_address
from sim_support import (
    CLEAR,
    COUNTER,
    EMITTER,
    FORWARD,
    LOOP,
    PARENT_HASH,
    REASON,
    REVERTER,
    SENDER,
    TRANSFER_TOPIC,
    env_code,
    fresh,
    padded,
    refused,
    simulate,
    word,
)


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
