"""Which code each struct-log step ran, from geth-format struct logs and call-tracer frames
(ogkit/chain/struct_log_frames.py): hand-made logs in geth's exact shape."""

from __future__ import annotations

from ogkit.chain.struct_log_frames import LoggedFrame, frames_from_struct_logs

A, B, C, P = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20, "0x" + "00" * 19 + "f4"
NEW = "0x" + "dd" * 20


def step(pc: int, depth: int, gas: int = 1000, op: str = "PUSH1") -> dict:
    return {"pc": pc, "op": op, "gas": gas, "gasCost": 3, "depth": depth}


def frame(to: str, gas: int, kind: str = "CALL", calls: list | None = None) -> dict:
    node = {"type": kind, "from": A, "to": to, "gas": hex(gas), "gasUsed": "0x0", "input": "0x"}
    if calls:
        node["calls"] = calls
    return node


def test_one_frame():
    logs = [step(0, 1), step(2, 1), step(4, 1, op="STOP")]
    assert frames_from_struct_logs(logs, frame(A, 5000)) == [LoggedFrame(A, 1, False, {0, 2, 4})]


def test_no_steps_no_frames():
    assert frames_from_struct_logs([], frame(A, 5000)) == []


def test_a_precompile_call_is_passed_over_and_delegatecall_runs_the_callees_code():
    # A: STATICCALL 0xF4 (no code: no step at depth 2), then DELEGATECALL C, then CALL B,
    # which calls back into A (depth 3); then A stops.
    tree = frame(
        A,
        90_000,
        calls=[
            frame(P, 700, "STATICCALL"),
            frame(C, 600, "DELEGATECALL"),
            frame(B, 500, calls=[frame(A, 300)]),
        ],
    )
    logs = [
        step(0, 1),
        step(10, 1, op="STATICCALL"),
        step(11, 1),
        step(20, 1, op="DELEGATECALL"),
        step(0, 2, gas=600),
        step(5, 2, op="RETURN"),
        step(21, 1),
        step(30, 1, op="CALL"),
        step(0, 2, gas=500),
        step(7, 2, op="CALL"),
        step(0, 3, gas=300),
        step(1, 3, op="STOP"),
        step(8, 2, op="STOP"),
        step(31, 1),
        step(40, 1, op="STOP"),
    ]
    assert frames_from_struct_logs(logs, tree) == [
        LoggedFrame(A, 1, False, {0, 10, 11, 20, 21, 30, 31, 40}),
        LoggedFrame(C, 2, False, {0, 5}),
        LoggedFrame(B, 2, False, {0, 7, 8}),
        LoggedFrame(A, 3, False, {0, 1}),
    ]


def test_create_runs_init_code():
    tree = frame(A, 90_000, calls=[frame(NEW, 800, "CREATE")])
    logs = [step(0, 1, op="CREATE"), step(0, 2, gas=800), step(3, 2, op="RETURN"), step(1, 1)]
    assert frames_from_struct_logs(logs, tree) == [
        LoggedFrame(A, 1, False, {0, 1}),
        LoggedFrame(NEW, 2, True, {0, 3}),
    ]


def test_without_a_gas_match_the_next_child_in_order():
    tree = frame(A, 90_000, calls=[frame(B, 111), frame(C, 222)])
    logs = [
        step(0, 1, op="CALL"),
        step(0, 2, gas=999),
        step(1, 1, op="CALL"),
        step(0, 2, gas=998),
        step(2, 1),
    ]
    assert [(f.address, f.pcs) for f in frames_from_struct_logs(logs, tree)] == [
        (A, {0, 1, 2}),
        (B, {0}),
        (C, {0}),
    ]


def test_gas_as_hex_strings_and_depth_from_zero():
    tree = frame(A, 90_000, calls=[frame(B, 1), frame(C, 0x42)])
    logs = [
        {"pc": "0x0", "depth": 0, "gas": "0x100"},
        {"pc": "0x0", "depth": 1, "gas": "0x42"},
        {"pc": "0x1", "depth": 0, "gas": "0x50"},
    ]
    assert [(f.address, f.depth, f.pcs) for f in frames_from_struct_logs(logs, tree)] == [
        (A, 1, {0, 1}),
        (C, 2, {0}),
    ]
