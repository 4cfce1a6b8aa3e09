"""Helpers of the `eth_simulateV1` tests: small contracts as bytecode, and the calls."""

from __future__ import annotations

import pytest
from eth_abi import encode
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
