"""EIP-7623's calldata floor on `ogkit node` (issue 12, item 2): a transaction whose gas
limit is below its floor is refused in geth's words and never mined, estimates are at least
the floor and succeed when sent, `eth_call` is unaffected, a block stays within its gas limit.

The node runs in-process (`NodeChain` behind `Rpc`, the JSON-RPC layer a client talks to);
the expected figures come from the EIP's formula, not from the chain.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from node_support import DEV_KEYS, InProcessRpc, RpcFailure

from ogkit.node import NodeChain, NodeConfig, Rpc

BIG = b"\x01" * 100_000  # every byte non-zero: 4 tokens each
SINK = "0x000000000000000000000000000000000000dEaD"
SENDER = Account.from_key(DEV_KEYS[0])
# CALLDATASIZE PUSH1 0 SSTORE STOP, behind initcode that returns it
SIZE_KEEPER = bytes([0x36, 0x60, 0x00, 0x55, 0x00])
KEEPER_INIT = bytes([0x60, 5, 0x80, 0x60, 11, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + SIZE_KEEPER


def eip7623_floor(data: bytes) -> int:
    """21000 + 10 * tokens, a token per zero byte and four per non-zero byte (the EIP)."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


class Node(InProcessRpc):
    """JSON-RPC requests to an in-process node, as a client sends them."""

    def __init__(self) -> None:
        super().__init__(Rpc(NodeChain(NodeConfig()), "test"))
        self.chain_id = int(self.call("eth_chainId"), 16)

    def raw(self, data: bytes, gas: int, to: str | None = SINK, nonce: int | None = None) -> str:
        if nonce is None:
            nonce = int(self.call("eth_getTransactionCount", SENDER.address, "pending"), 16)
        tx = {
            "gas": gas,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 1,
            "nonce": nonce,
            "chainId": self.chain_id,
            "data": data,
            "value": 0,
        }
        if to is not None:
            tx["to"] = to
        signed = Account.sign_transaction(tx, DEV_KEYS[0]).raw_transaction
        return self.call("eth_sendRawTransaction", "0x" + signed.hex())

    def receipt(self, tx_hash: str) -> dict:
        return self.call("eth_getTransactionReceipt", tx_hash)

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)


@pytest.fixture(scope="module")
def inproc() -> Node:
    return Node()


def message(gas: int, floor: int) -> str:
    return f"insufficient gas for floor data gas cost: gas {gas}, minimum needed {floor}"


def test_raw_below_the_floor_is_refused_and_never_mined(inproc: Node) -> None:
    head = inproc.head()
    with pytest.raises(RpcFailure) as refused:
        inproc.raw(BIG, 3_000_000)
    assert refused.value.code == -32000
    assert (
        refused.value.message
        == message(3_000_000, eip7623_floor(BIG))
        == message(3_000_000, 4_021_000)
    )
    assert inproc.head() == head
    assert inproc.call("eth_getBlockByNumber", "pending", False)["transactions"] == []


def test_send_transaction_below_the_floor_is_refused(inproc: Node) -> None:
    head = inproc.head()
    tx = {"from": SENDER.address, "to": SINK, "gas": hex(3_000_000), "data": "0x" + BIG.hex()}
    with pytest.raises(RpcFailure) as refused:
        inproc.call("eth_sendTransaction", tx)
    assert refused.value.message == message(3_000_000, eip7623_floor(BIG))
    assert inproc.head() == head


def test_at_the_floor_it_is_mined_using_exactly_the_floor(inproc: Node) -> None:
    receipt = inproc.receipt(inproc.raw(BIG, eip7623_floor(BIG)))
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) == eip7623_floor(BIG) == 4_021_000


def test_the_estimate_of_a_large_calldata_transfer_is_the_floor(inproc: Node) -> None:
    tx = {"from": SENDER.address, "to": SINK, "data": "0x" + BIG.hex()}
    estimate = int(inproc.call("eth_estimateGas", tx), 16)
    assert estimate == eip7623_floor(BIG)
    assert inproc.receipt(inproc.raw(BIG, estimate))["status"] == "0x1"
    # eth_sendTransaction without a gas limit takes the estimate
    receipt = inproc.receipt(inproc.call("eth_sendTransaction", tx))
    assert receipt["status"] == "0x1" and int(receipt["gasUsed"], 16) == eip7623_floor(BIG)


def test_a_contract_call_with_large_calldata_estimated_then_sent(inproc: Node) -> None:
    created = inproc.receipt(inproc.raw(KEEPER_INIT, 300_000, to=None))["contractAddress"]
    keeper = to_checksum_address(created)
    data = bytes(range(1, 256)) * 40  # 10,200 non-zero bytes
    call = {"from": SENDER.address, "to": keeper, "data": "0x" + data.hex()}
    estimate = int(inproc.call("eth_estimateGas", call), 16)
    assert estimate >= eip7623_floor(data)
    receipt = inproc.receipt(inproc.raw(data, estimate, to=keeper))
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) == eip7623_floor(data)
    stored = inproc.call("eth_getStorageAt", keeper, "0x0", "latest")
    assert int(stored, 16) == len(data)


def test_eth_call_is_unaffected(inproc: Node) -> None:
    """A call does not pay: its gas limit may be below the floor, as before."""
    tx = {"from": SENDER.address, "to": SINK, "gas": hex(3_000_000), "data": "0x" + BIG.hex()}
    assert inproc.call("eth_call", tx, "latest") == "0x"


def test_a_block_never_exceeds_its_gas_limit() -> None:
    """1 MB of calldata has a floor above the block gas limit: refused at any gas limit and
    not estimable. With automine off, floor-priced transactions go into the pending block
    while they fit; the next waits in the pool for the next block (it fits the block gas
    limit), and the sealed block stays within its limit."""
    fresh = Node()
    limit = int(fresh.call("eth_getBlockByNumber", "latest", False)["gasLimit"], 16)
    huge = b"\x01" * 1_000_000
    assert eip7623_floor(huge) > limit
    with pytest.raises(RpcFailure, match="floor data gas"):
        fresh.raw(huge, limit)
    with pytest.raises(RpcFailure, match="exceeds block gas limit"):
        fresh.raw(huge, eip7623_floor(huge))
    tx = {"from": SENDER.address, "to": SINK, "data": "0x" + huge.hex()}
    with pytest.raises(RpcFailure, match=f"gas required exceeds allowance \\({limit}\\)"):
        fresh.call("eth_estimateGas", tx)
    fresh.call("evm_setAutomine", False)
    floor = eip7623_floor(BIG)
    fits = limit // floor
    nonce = int(fresh.call("eth_getTransactionCount", SENDER.address, "latest"), 16)
    for n in range(fits):
        fresh.raw(BIG, floor, nonce=nonce + n)
    waiting = fresh.raw(BIG, floor, nonce=nonce + fits)
    assert fresh.call("eth_getTransactionByHash", waiting)["blockNumber"] is None
    fresh.call("evm_mine")
    block = fresh.call("eth_getBlockByNumber", "latest", False)
    assert len(block["transactions"]) == fits == 7 and waiting not in block["transactions"]
    assert int(block["gasUsed"], 16) == fits * floor <= int(block["gasLimit"], 16) == limit
    fresh.call("evm_mine")
    assert fresh.receipt(waiting)["blockNumber"] == hex(int(block["number"], 16) + 1)


def test_over_http_a_node_process_refuses_in_the_same_words(node) -> None:
    """`ogkit node` as a client meets it: the refusal is a JSON-RPC error, nothing mined."""
    head = int(node.rpc("eth_blockNumber"), 16)
    tx = {
        "gas": 3_000_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 1,
        "nonce": int(node.rpc("eth_getTransactionCount", SENDER.address, "pending"), 16),
        "chainId": int(node.rpc("eth_chainId"), 16),
        "to": SINK,
        "data": BIG,
        "value": 0,
    }
    raw = Account.sign_transaction(tx, DEV_KEYS[0]).raw_transaction
    with pytest.raises(RpcFailure) as refused:
        node.rpc("eth_sendRawTransaction", "0x" + raw.hex())
    assert refused.value.code == -32000
    assert refused.value.message == message(3_000_000, eip7623_floor(BIG))
    estimate = {"from": SENDER.address, "to": SINK, "data": "0x" + BIG.hex()}
    assert int(node.rpc("eth_estimateGas", estimate), 16) == eip7623_floor(BIG)
    assert int(node.rpc("eth_blockNumber"), 16) == head
