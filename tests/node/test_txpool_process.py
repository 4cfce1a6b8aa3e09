"""The pool in an `ogkit node` process: the issue's case with `--block-time 1`, and `kill -9`.

OpenGradient's SDK sends `run_workflow` with a fixed 30,000,000 gas; a second such call in
the same block time was refused ("exceeds block gas limit: ... using 30000000, bringing total
to 30262256, but limit is 30029122"). Now it waits for the next block. And what waits, in the
pool or in the pending block, is stored: a node killed with `kill -9` runs it after restart.
"""

from __future__ import annotations

import time

from eth_account import Account
from node_support import DEV_KEYS, NodeProcess

CHAIN_ID = 31337
SINK = "0x1111111111111111111111111111111111111111"
SDK_GAS = 30_000_000
PAYLOAD = "0x" + "01" * 2_000
"""Calldata that makes a transaction use more than the 29,122 gas a 30M one leaves."""


def _raw(key: str, nonce: int, gas: int = 21_000, data: str = "0x") -> str:
    """A legacy transaction, as the SDK signs them."""
    tx = {
        "to": SINK,
        "value": 1,
        "gas": gas,
        "data": data,
        "gasPrice": 10**10,
        "nonce": nonce,
        "chainId": CHAIN_ID,
    }
    return Account.sign_transaction(tx, key).raw_transaction.to_0x_hex()


def _receipt(node: NodeProcess, tx_hash: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = node.rpc("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return receipt
        time.sleep(0.1)
    raise AssertionError(f"{tx_hash} not mined within {timeout}s")


def test_two_sdk_sized_calls_within_one_block_time_are_both_mined(tmp_path, model_store):
    node = NodeProcess(
        tmp_path, "--block-time", "1", "--chain-id", str(CHAIN_ID), store=model_store.root
    ).start()
    try:
        first = node.rpc("eth_sendRawTransaction", _raw(DEV_KEYS[0], 0, SDK_GAS, PAYLOAD))
        second = node.rpc("eth_sendRawTransaction", _raw(DEV_KEYS[1], 0, SDK_GAS, PAYLOAD))
        receipts = [_receipt(node, first), _receipt(node, second)]
        assert [r["status"] for r in receipts] == ["0x1", "0x1"]
        numbers = [int(r["blockNumber"], 16) for r in receipts]
        assert numbers[1] == numbers[0] + 1
        for number in numbers:
            block = node.rpc("eth_getBlockByNumber", hex(number), False)
            assert int(block["gasUsed"], 16) <= int(block["gasLimit"], 16) == 30_029_122
    finally:
        node.stop()


def test_kill9_keeps_what_waits_in_the_pool_and_the_pending_block(tmp_path, model_store):
    args = ("--data-dir", str(tmp_path / "chain"), "--chain-id", str(CHAIN_ID))
    slow = (*args, "--block-time", "3600")  # nothing is sealed on its own meanwhile
    node = NodeProcess(tmp_path, *slow, store=model_store.root).start()
    try:
        in_block = node.rpc("eth_sendRawTransaction", _raw(DEV_KEYS[0], 0))
        queued = node.rpc("eth_sendRawTransaction", _raw(DEV_KEYS[0], 2))
        before = node.rpc("txpool_content")
        assert node.rpc("txpool_status") == {"pending": "0x1", "queued": "0x1"}
        node.kill9()
        node = NodeProcess(tmp_path, *slow, store=model_store.root).start()
        assert node.rpc("txpool_content") == before
        node.kill9()
        node = NodeProcess(tmp_path, *args, store=model_store.root).start()  # automine
        assert node.rpc("eth_getTransactionReceipt", in_block)["blockNumber"] == "0x1"
        assert node.rpc("txpool_status") == {"pending": "0x0", "queued": "0x1"}
        filler = node.rpc("eth_sendRawTransaction", _raw(DEV_KEYS[0], 1))
        assert node.rpc("eth_getTransactionReceipt", filler)["blockNumber"] == "0x2"
        assert node.rpc("eth_getTransactionReceipt", queued)["blockNumber"] == "0x3"
    finally:
        node.kill9()
