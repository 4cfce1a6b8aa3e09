"""`eth_simulateV1` on `ogkit node` against anvil's (npm @foundry-rs/anvil-linux-amd64) on
the same plain (non-AI) simulation: what each call did must agree field by field.

Where they agree, compared here: each call's `returnData` (of a call that succeeded),
`gasUsed`, `status`, and its logs' `address`, `topics`, `data`, `logIndex`,
`transactionIndex` and `removed`, transfers (`traceTransfers`) included; each block's
`gasUsed` and transaction count. Where anvil 1.7.1 departs from geth, and the node follows
geth (not compared): anvil simulates at the base block's own number with a zero parent
hash and timestamp 1, keeps the base fee without `validation`, answers a revert with
-3200 "execution failed" and the revert bytes as `returnData` (geth: code 3 with the
reason, the bytes in `data`, no `returnData`), puts the transfer logs in `logsBloom`, does
not report the ether a SELFDESTRUCT sends as a transfer (geth's tracer does), and does not
check block order or limits.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time

import pytest
from node_support import ROOT, RpcFailure, free_port, post
from sim_support import COUNTER, FORWARD, REVERTER

pytestmark = pytest.mark.skipif(
    not (sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")),
    reason="the npm anvil binary (@foundry-rs/anvil-linux-amd64) exists for linux-x64 only",
)

ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"  # dev account 0 on both
ECHO_LOG = "0x345f5233602a60205fa2335f5260205ff3"
"""LOG2(topics 0x2a and CALLER, data CALLVALUE); returns CALLER."""
LOG_FIELDS = ("address", "topics", "data", "logIndex", "transactionIndex", "removed")


class Client:
    def __init__(self, url: str) -> None:
        self.url = url

    def rpc(self, method: str, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        _, raw = post(self.url, body.encode(), 60.0)
        reply = json.loads(raw)
        if "error" in reply:
            raise RpcFailure(reply["error"])
        return reply["result"]


@pytest.fixture(scope="module")
def anvil():
    assert ANVIL.exists(), f"{ANVIL} is missing: run `npm ci` (make setup) to install it"
    port = free_port()
    process = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--hardfork", "prague", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = Client(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.rpc("eth_chainId")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield client
    finally:
        process.terminate()
        process.wait(10)


def fresh(seed: int) -> str:
    return "0x" + f"{0x51AC000 + seed:040x}"


def blocks() -> list[dict]:
    echo, counter, forward, reverter = fresh(1), fresh(2), fresh(3), fresh(4)
    return [
        {
            "stateOverrides": {
                echo: {"code": ECHO_LOG},
                counter: {"code": COUNTER, "state": {"0x" + "00" * 32: "0x" + "00" * 31 + "07"}},
                forward: {"code": FORWARD},
                reverter: {"code": REVERTER},
                fresh(5): {"balance": hex(10**18)},
            },
            "calls": [
                {"from": SENDER, "to": echo, "value": "0x3"},
                {"from": SENDER, "to": counter},
                {"from": SENDER, "to": reverter},
                {"from": SENDER, "to": forward, "value": "0x5"},
                {"from": fresh(5), "to": fresh(6), "value": "0x10", "input": "0x00ff00"},
            ],
        },
        {"calls": [{"from": SENDER, "to": counter}, {"from": fresh(5), "to": echo}]},
        {
            "stateOverrides": {counter: {"stateDiff": {"0x" + "00" * 32: "0x" + "00" * 31 + "63"}}},
            "calls": [{"from": SENDER, "to": counter}],
        },
    ]


def executed(block: dict) -> dict:
    """What a simulated block's calls did: the fields both answer alike."""
    return {
        "gasUsed": block["gasUsed"],
        "transactions": len(block["transactions"]),
        "calls": [
            {
                "returnData": call["returnData"] if call["status"] == "0x1" else None,
                "gasUsed": call["gasUsed"],
                "status": call["status"],
                "failed": "error" in call,
                "logs": [{k: log[k] for k in LOG_FIELDS} for log in call["logs"]],
            }
            for call in block["calls"]
        ],
    }


@pytest.mark.parametrize("transfers", [False, True])
def test_the_calls_of_a_simulation_agree_with_anvil(node, anvil, transfers):
    request = {"blockStateCalls": blocks(), "traceTransfers": transfers}
    ours = node.rpc("eth_simulateV1", request, "latest")
    theirs = anvil.rpc("eth_simulateV1", request, "latest")
    assert [executed(b) for b in ours] == [executed(b) for b in theirs]
    counted = [b["calls"][0]["returnData"] for b in ours[1:]]
    assert [int(value, 16) for value in counted] == [9, 100]  # 7+1 in block 1, +1; then 99+1
    assert ours[0]["calls"][2]["status"] == "0x0"
    assert sum(len(call["logs"]) for call in ours[0]["calls"]) == (5 if transfers else 1)
