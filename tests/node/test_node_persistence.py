"""`ogkit node --data-dir`: the chain lives in LevelDB and survives `kill -9`.

Transactions stream in from two client threads; the node is killed with SIGKILL in the
middle of the stream and restarted on the same directory. Every transaction whose receipt
a client got back must still be there, in the same block, and the chain goes on.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from eth_account import Account
from node_support import (
    DEV_KEYS,
    OGKIT,
    SENTIMENT_WORDS,
    NodeProcess,
    deploy,
    transact,
    web3_artifact,
)
from web3 import Web3

from ogkit.inference.receipts import decode_inference_event

CHAIN_ID = 31337


def _client(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))


def _stream(url: str, key: str, mined: list, stop: threading.Event) -> None:
    """Send transfers one after another; record each receipt the node returns."""
    w3 = _client(url)
    account = Account.from_key(key)
    try:
        nonce = w3.eth.get_transaction_count(account.address)
        while not stop.is_set():
            tx = {
                "to": "0x" + "99" * 20,
                "value": nonce + 1,
                "gas": 21_000,
                "gasPrice": 10**10,
                "nonce": nonce,
                "chainId": CHAIN_ID,
            }
            tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
            receipt = w3.eth.get_transaction_receipt(tx_hash)  # automine: already sealed
            mined.append((tx_hash.to_0x_hex(), receipt.blockNumber, receipt.blockHash.to_0x_hex()))
            nonce += 1
    except Exception:  # noqa: BLE001, S110 - the node was killed under us: that is the point
        pass


def test_kill9_loses_no_reported_block(tmp_path, model_store, project):
    data_dir = tmp_path / "chain"
    args = ("--data-dir", str(data_dir), "--chain-id", str(CHAIN_ID))
    node = NodeProcess(tmp_path, *args, store=model_store.root).start()
    try:
        w3 = _client(node.url)
        genesis = w3.eth.get_block(0).hash
        abi, bytecode = web3_artifact(project, "SentimentGate")
        gate = deploy(w3, DEV_KEYS[0], abi, bytecode, "sentiment")
        receipt = transact(w3, DEV_KEYS[0], gate.functions.submit(SENTIMENT_WORDS))
        event = decode_inference_event(bytes(receipt.logs[0].data))
        record = node.rpc("ogkit_getInferenceRecord", "0x" + event.inference_id)

        mined: list[tuple[str, int, str]] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=_stream, args=(node.url, key, mined, stop))
            for key in DEV_KEYS[1:3]
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(mined) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        node.kill9()  # mid-stream: both clients have requests in flight
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        node.kill9()
    assert len(mined) >= 40

    node = NodeProcess(tmp_path, "--data-dir", str(data_dir), store=model_store.root).start()
    try:
        w3 = _client(node.url)
        assert w3.eth.chain_id == CHAIN_ID  # from the data directory
        assert w3.eth.get_block(0).hash == genesis
        assert w3.eth.block_number >= max(number for _, number, _ in mined)
        for tx_hash, number, block_hash in mined:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            assert (receipt.blockNumber, receipt.blockHash.to_0x_hex()) == (number, block_hash)
            assert receipt.status == 1
        assert node.rpc("ogkit_getInferenceRecord", "0x" + event.inference_id) == record
        gate_after = w3.eth.contract(address=gate.address, abi=abi)
        assert gate_after.functions.isPositive(Account.from_key(DEV_KEYS[0]).address).call()
        # the chain goes on from the recovered head
        head = w3.eth.block_number
        tx_hash = w3.eth.send_transaction(
            {"from": w3.eth.accounts[1], "to": w3.eth.accounts[2], "value": 1}
        )
        assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60).blockNumber == head + 1
        assert "resumed at block" in node.log()

        # a second node cannot open the same directory, and says why
        second = subprocess.run(
            [str(OGKIT), "node", "--port", "0", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0 and "cannot open" in second.stderr
    finally:
        node.stop()

    # a clean stop keeps everything too, and another chain id is refused
    wrong = subprocess.run(
        [str(OGKIT), "node", "--port", "0", "--data-dir", str(data_dir), "--chain-id", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode != 0 and f"holds chain id {CHAIN_ID}" in wrong.stderr


@pytest.mark.parametrize("block_time", ["0.2"])
def test_interval_mining_persists(tmp_path, model_store, block_time):
    data_dir = tmp_path / "chain"
    node = NodeProcess(
        tmp_path, "--data-dir", str(data_dir), "--block-time", block_time, store=model_store.root
    ).start()
    try:
        w3 = _client(node.url)
        assert node.rpc("eth_mining") is False
        tx_hash = w3.eth.send_transaction(
            {"from": w3.eth.accounts[0], "to": w3.eth.accounts[1], "value": 5}
        )
        pending = w3.eth.get_transaction(tx_hash)
        assert pending.blockNumber is None or pending.blockNumber >= 1
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)
        assert receipt.status == 1
        deadline = time.monotonic() + 30
        while w3.eth.block_number < receipt.blockNumber + 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # empty blocks keep coming
        assert w3.eth.block_number >= receipt.blockNumber + 2
    finally:
        node.stop()
    node = NodeProcess(tmp_path, "--data-dir", str(data_dir), store=model_store.root).start()
    try:
        again = _client(node.url).eth.get_transaction_receipt(tx_hash)
        assert again.blockHash == receipt.blockHash
    finally:
        node.stop()
