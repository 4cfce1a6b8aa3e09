"""Foundry's `cast` (npm @foundry-rs/cast-linux-amd64) against `ogkit node`.

cast deploys SentimentGate, sends an inference transaction, calls views, reads the
receipt, the block number and a revert, all over JSON-RPC like against anvil.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest
from node_support import CAST, DEV_KEYS, SENTIMENT_SCORE, SENTIMENT_WORDS, NodeProcess

pytestmark = pytest.mark.skipif(
    not (sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")),
    reason="the npm cast binary (@foundry-rs/cast-linux-amd64) exists for linux-x64 only",
)

OWNER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def cast(node: NodeProcess, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    assert CAST.exists(), f"{CAST} is missing: run `npm ci` (make setup) to install it"
    result = subprocess.run(
        [str(CAST), args[0], "--rpc-url", node.url, *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"cast {' '.join(args[:2])} failed: {result.stderr}")
    return result


def test_cast_deploys_and_calls_an_inference_contract(node, project):
    assert cast(node, "chain-id").stdout.strip() == "1337"
    start = int(cast(node, "block-number").stdout)

    bytecode = project.SentimentGate.contract_type.deployment_bytecode.bytecode
    deployed = json.loads(
        cast(
            node,
            "send",
            "--private-key",
            DEV_KEYS[0],
            "--json",
            "--create",
            bytecode,
            "constructor(string)",
            "sentiment",
        ).stdout
    )
    assert deployed["status"] == "0x1"
    gate = deployed["contractAddress"]
    assert cast(node, "code", gate).stdout.strip() != "0x"

    words = "[" + ",".join(SENTIMENT_WORDS) + "]"
    sent = json.loads(
        cast(
            node, "send", "--private-key", DEV_KEYS[0], "--json", gate, "submit(string[])", words
        ).stdout
    )
    assert sent["status"] == "0x1"
    assert sent["logs"][0]["address"] == "0x00000000000000000000000000000000000000f4"
    assert int(cast(node, "block-number").stdout) == start + 2

    receipt = json.loads(cast(node, "receipt", sent["transactionHash"], "--json").stdout)
    assert receipt["blockNumber"] == sent["blockNumber"]
    assert receipt["transactionHash"] == sent["transactionHash"]
    assert cast(node, "tx", sent["transactionHash"], "from").stdout.strip().lower() == OWNER.lower()

    assert cast(node, "call", gate, "isPositive(address)(bool)", OWNER).stdout.strip() == "true"
    verdict = cast(node, "call", gate, "verdicts(address)(int128,int128,bool,uint64)", OWNER)
    value, decimals, positive = verdict.stdout.split()[:3]
    assert (int(value), int(decimals), positive) == (*SENTIMENT_SCORE, "true")
    assert cast(node, "call", gate, "modelId()(string)").stdout.strip() == '"sentiment"'

    reverted = cast(node, "call", gate, "submit(string[])", "[]", check=False)
    assert reverted.returncode != 0
    assert "execution reverted" in reverted.stderr and "0xaf943d03" in reverted.stderr
