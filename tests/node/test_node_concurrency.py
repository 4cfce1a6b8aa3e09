"""Several client processes at once: state changes happen one at a time, reads stay sane.

Four processes each send a series of transfers from their own account while reading
balances, nonces and blocks; a fifth hammers read-only calls. Afterwards every transaction
is in its own block (automine), the blocks form one unbroken chain and all balances add up.
"""

from __future__ import annotations

import json
import subprocess
import sys

from node_support import DEV_KEYS
from web3 import Web3

TXS_PER_CLIENT = 12
WRITERS = DEV_KEYS[1:5]
SINK = Web3.to_checksum_address("0x" + "5a" * 20)

WRITER = r"""
import json, sys
from web3 import Web3
from eth_account import Account
url, key, count, sink = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}))
account = Account.from_key(key)
nonce = w3.eth.get_transaction_count(account.address)
hashes = []
for i in range(count):
    tx = {"to": sink, "value": 1000 + i, "gas": 21000, "gasPrice": 10**10,
          "nonce": nonce + i, "chainId": w3.eth.chain_id}
    h = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(h, timeout=120, poll_latency=0.05)
    assert receipt.status == 1
    # reads between writes must see our own writes
    assert w3.eth.get_transaction_count(account.address) == nonce + i + 1
    block = w3.eth.get_block(receipt.blockNumber)
    assert h in block.transactions
    hashes.append(h.to_0x_hex())
print(json.dumps({"address": account.address, "hashes": hashes}))
"""

READER = r"""
import json, sys
from web3 import Web3
url, rounds = sys.argv[1], int(sys.argv[2])
w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}))
seen = 0
for _ in range(rounds):
    number = w3.eth.block_number
    assert number >= seen
    seen = number
    block = w3.eth.get_block(number)
    assert block.number == number
    w3.eth.get_balance(w3.eth.accounts[0], number)
    w3.eth.fee_history(3, "latest", [50])
print(json.dumps({"reads": rounds, "last": seen}))
"""


def test_several_client_processes(node, tmp_path):
    writer = tmp_path / "writer.py"
    writer.write_text(WRITER)
    reader = tmp_path / "reader.py"
    reader.write_text(READER)
    w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
    start = w3.eth.block_number

    processes = [
        subprocess.Popen(
            [sys.executable, str(writer), node.url, key, str(TXS_PER_CLIENT), SINK],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key in WRITERS
    ]
    processes.append(
        subprocess.Popen(
            [sys.executable, str(reader), node.url, "40"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    outputs = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=240)
            assert process.returncode == 0, err[-3000:]
            outputs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    total = TXS_PER_CLIENT * len(WRITERS)
    assert w3.eth.block_number == start + total
    all_hashes = set()
    for result in outputs[: len(WRITERS)]:
        assert w3.eth.get_transaction_count(result["address"]) == TXS_PER_CLIENT
        all_hashes.update(result["hashes"])
    assert len(all_hashes) == total
    parent = w3.eth.get_block(start).hash
    seen = set()
    for number in range(start + 1, start + total + 1):
        block = w3.eth.get_block(number)
        assert block.parentHash == parent
        assert len(block.transactions) == 1
        seen.add(block.transactions[0].to_0x_hex())
        parent = block.hash
    assert seen == all_hashes
    expected = sum(1000 + i for i in range(TXS_PER_CLIENT)) * len(WRITERS)
    assert w3.eth.get_balance(SINK) == expected
