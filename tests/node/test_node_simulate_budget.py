"""`eth_simulateV1` within the node's gas cap (`--rpc-gas-cap`): as geth's, the cap is one
budget for every call of every simulated block, and a call it shortened says so."""

from __future__ import annotations

import pytest
from node_support import NodeProcess, RpcFailure
from sim_support import COUNTER, LOOP

GAS_CAP = 100_000
CAPPED = "out of gas (gas limit was capped by the RPC server's global gas cap)"


def fresh(seed: int) -> str:
    return "0x" + f"{0x51AB000 + seed:040x}"


@pytest.fixture(scope="module")
def capped(tmp_path_factory, model_store):
    process = NodeProcess(
        tmp_path_factory.mktemp("simcap"),
        "--rpc-gas-cap",
        str(GAS_CAP),
        "--no-settlement",
        store=model_store.root,
    ).start()
    yield process
    process.stop()


def simulate(node, *blocks):
    return node.rpc("eth_simulateV1", {"blockStateCalls": list(blocks)}, "latest")


def test_a_call_without_gas_gets_what_the_cap_leaves(capped):
    loop, counter = fresh(1), fresh(2)
    codes = {loop: {"code": LOOP}, counter: {"code": COUNTER}}
    first, second = simulate(
        capped,
        {"stateOverrides": codes, "calls": [{"to": counter}]},
        {"calls": [{"to": loop}]},
    )
    counted = int(first["calls"][0]["gasUsed"], 16)
    assert second["calls"] == [
        {
            "returnData": "0x",
            "logs": [],
            "gasUsed": hex(GAS_CAP - counted),
            "maxUsedGas": hex(GAS_CAP - counted),
            "status": "0x0",
            "error": {"message": CAPPED, "code": -32015},
        }
    ]


def test_an_exhausted_budget_refuses_the_next_call(capped):
    loop = fresh(3)
    exact = {"to": loop, "gas": hex(GAS_CAP)}  # asks for the whole cap: not shortened
    (block,) = simulate(capped, {"stateOverrides": {loop: {"code": LOOP}}, "calls": [exact]})
    assert block["calls"][0]["error"] == {"message": "out of gas", "code": -32015}
    with pytest.raises(RpcFailure) as refused:
        simulate(capped, {"stateOverrides": {loop: {"code": LOOP}}, "calls": [exact, {"to": loop}]})
    assert (refused.value.code, refused.value.message) == (
        -38013,
        "err: intrinsic gas too low: have 0, want 21000 (supplied gas 0)",
    )
    assert capped.rpc("eth_chainId") == "0x539"
