"""The transaction pool with automine on: admission, nonce order, replacement and bounds.

A transaction whose nonce is ahead of its sender's next waits ("queued") and runs when the
gap fills, in nonce order; a waiting one is checked like one that runs, is replaced only for
10% more, and the pool has bounds. `txpool_content`/`txpool_status`/`txpool_inspect` answer in
geth's shapes, `anvil_dropTransaction` drops, and the pool outlives a revert.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from node_support import DEV_KEYS, RpcFailure
from txpool_support import KEY, MAX_FEE, SENDER, SINK, TIP, Node


@pytest.fixture
def node():
    n = Node()
    yield n
    n.close()


def test_a_nonce_gap_waits_then_runs_in_nonce_order(node):
    head = node.head()
    later = node.raw(2)
    early = node.raw(1)
    assert node.head() == head
    assert node.receipt(later) is None and node.receipt(early) is None
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x2"}
    waiting = node.call("eth_getTransactionByHash", later)
    assert (waiting["blockNumber"], waiting["blockHash"], waiting["transactionIndex"]) == (
        None,
        None,
        None,
    )
    assert (waiting["hash"], waiting["nonce"], waiting["from"]) == (later, "0x2", SENDER.lower())
    assert node.nonce("pending") == node.nonce("latest") == 0

    first = node.raw(0)  # fills the gap: automine seals each in a block of its own
    assert [node.block_of(h) for h in (first, early, later)] == [head + 1, head + 2, head + 3]
    assert [node.receipt(h)["status"] for h in (first, early, later)] == ["0x1"] * 3
    blocks = [node.call("eth_getBlockByNumber", hex(head + i), False) for i in (1, 2, 3)]
    assert [b["transactions"] for b in blocks] == [[first], [early], [later]]
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert node.nonce("latest") == node.nonce("pending") == 3
    assert node.call("eth_getBalance", SINK, "latest") == hex(15)


def test_txpool_content_and_inspect_in_geths_shapes(node):
    queued = node.raw(3, value=7)
    content = node.call("txpool_content")
    assert content == {
        "pending": {},
        "queued": {SENDER: {"3": node.call("eth_getTransactionByHash", queued)}},
    }
    tx = content["queued"][SENDER]["3"]
    assert (tx["to"], tx["value"], tx["gas"], tx["gasPrice"]) == (
        SINK.lower(),
        "0x7",
        hex(21_000),
        hex(MAX_FEE),
    )
    created = node.raw(4, to=None, value=0, gas=60_000, data="0x00")
    assert node.call("txpool_inspect") == {
        "pending": {},
        "queued": {
            SENDER: {
                "3": f"{SINK}: 7 wei + 21000 gas × {MAX_FEE} wei",
                "4": f"contract creation: 0 wei + 60000 gas × {MAX_FEE} wei",
            }
        },
    }
    assert node.call("anvil_dropTransaction", created) == created


def test_drop_transaction(node):
    head = node.head()
    one = node.raw(1)
    two = node.raw(2)
    assert node.call("anvil_dropTransaction", one) == one
    assert node.call("anvil_dropTransaction", one) is None
    assert node.call("eth_getTransactionByHash", one) is None
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    node.raw(0)  # two still waits: nonce 1 is missing again
    assert node.receipt(two) is None and node.head() == head + 1
    three = node.raw(3, key=DEV_KEYS[4])
    other = Account.from_key(DEV_KEYS[4]).address
    assert node.call("txpool_contentFrom", other) == {
        "pending": {},
        "queued": {"3": node.call("eth_getTransactionByHash", three)},
    }
    assert node.call("anvil_removePoolTransactions", other) is None
    assert node.call("txpool_contentFrom", other) == {"pending": {}, "queued": {}}
    assert node.call("txpool_contentFrom", SENDER)["queued"]["2"]["hash"] == two
    assert node.call("anvil_dropAllTransactions") is None
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert node.call("eth_getTransactionByHash", two) is None


def test_replacing_a_waiting_transaction_needs_ten_percent_more(node):
    old = node.raw(1)
    with pytest.raises(RpcFailure, match="replacement transaction underpriced") as refused:
        node.raw(1, maxFeePerGas=MAX_FEE * 109 // 100, maxPriorityFeePerGas=TIP * 2)
    assert refused.value.code == -32000
    with pytest.raises(RpcFailure, match="replacement transaction underpriced"):
        node.raw(1, maxFeePerGas=MAX_FEE * 2, maxPriorityFeePerGas=TIP * 109 // 100)
    new = node.raw(1, maxFeePerGas=MAX_FEE * 110 // 100, maxPriorityFeePerGas=TIP * 110 // 100)
    assert node.call("eth_getTransactionByHash", old) is None
    assert node.call("txpool_content")["queued"][SENDER]["1"]["hash"] == new
    with pytest.raises(RpcFailure, match="already known"):
        node.call(
            "eth_sendRawTransaction",
            Account.sign_transaction(
                {
                    "chainId": 1337,
                    "type": 2,
                    "maxFeePerGas": MAX_FEE * 110 // 100,
                    "maxPriorityFeePerGas": TIP * 110 // 100,
                    "nonce": 1,
                    "gas": 21_000,
                    "to": SINK,
                    "value": 5,
                },
                KEY,
            ).raw_transaction.to_0x_hex(),
        )
    node.raw(0)
    assert node.receipt(new)["status"] == "0x1" and node.receipt(old) is None


def test_a_waiting_transaction_is_checked_like_one_that_runs(node):
    """py-evm stops at the nonce; what it checks after it (EIP-7623's floor) is checked too:
    a transaction with a nonce gap is refused in the same words as the next-nonce one."""
    bad = [
        ({"gas": 30_000, "data": "0x" + "01" * 1_000}, "insufficient gas for floor data gas"),
        ({"gas": 20_000}, "minimum needed 21000"),
        ({"value": 10**30}, "insufficient funds for gas * price + value"),
        ({"maxFeePerGas": 1, "maxPriorityFeePerGas": 1}, "max fee per gas less than block base"),
    ]
    for fields, words in bad:
        refusals = []
        for nonce in (0, 1):
            with pytest.raises(RpcFailure) as refused:
                node.raw(nonce, **fields)
            refusals.append((refused.value.code, refused.value.message))
        assert refusals[0] == refusals[1] and words in refusals[0][1], refusals
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_a_legacy_replacement_pays_ten_percent_more_gas_price(node):
    def legacy(price: int) -> str:
        tx = {"chainId": 1337, "nonce": 1, "gas": 21_000, "to": SINK, "value": 0}
        signed = Account.sign_transaction({**tx, "gasPrice": price}, KEY)
        return node.call("eth_sendRawTransaction", signed.raw_transaction.to_0x_hex())

    legacy(10**10)
    with pytest.raises(RpcFailure, match="replacement transaction underpriced"):
        legacy(10**10 * 109 // 100)
    replacement = legacy(10**10 * 110 // 100)
    assert node.call("txpool_inspect")["queued"][SENDER]["1"] == (
        f"{SINK}: 0 wei + 21000 gas × {10**10 * 110 // 100} wei"
    )
    node.raw(0)
    assert node.receipt(replacement)["status"] == "0x1"


def test_the_pool_is_bounded(node):
    pool = node.chain.txpool
    assert (pool.max_per_sender, pool.max_total, pool.max_nonce_gap) == (64, 1024, 256)
    with pytest.raises(RpcFailure, match="nonce too high: next nonce 0, tx nonce 256") as gap:
        node.raw(256)
    assert gap.value.code == -32000
    node.raw(255)  # the farthest one allowed
    pool.max_per_sender, pool.max_total = 3, 5
    node.raw(1)
    node.raw(2)
    with pytest.raises(RpcFailure, match=f"account limit exceeded: 3 transactions of {SENDER}"):
        node.raw(3)
    node.raw(2, maxFeePerGas=MAX_FEE * 2, maxPriorityFeePerGas=TIP * 2)  # a replacement fits
    node.raw(1, key=DEV_KEYS[4])
    node.raw(2, key=DEV_KEYS[4])
    with pytest.raises(RpcFailure, match="txpool is full: 5 transactions wait already"):
        node.raw(1, key=DEV_KEYS[3])
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x5"}
    assert node.head() == 0  # the node goes on
    first = node.raw(0, key=DEV_KEYS[4])  # a sender's next nonce is never refused for bounds
    assert node.head() == 3 and node.block_of(first) == 1
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x3"}


def test_a_waiting_transaction_that_cannot_run_waits_until_it_can(node):
    """Its sender could pay when it came; the transaction before it spent the funds."""
    poor = Account.create()
    node.call("anvil_setBalance", poor.address, hex(21_000 * MAX_FEE + 5))
    later = node.raw(1, key=poor.key.hex())
    first = node.raw(0, key=poor.key.hex())
    assert node.receipt(first)["status"] == "0x1" and node.receipt(later) is None
    assert node.call("txpool_status") == {"pending": "0x1", "queued": "0x0"}
    node.call("anvil_setBalance", poor.address, hex(10**18))
    node.call("evm_mine")  # retried at each new block
    assert node.receipt(later)["status"] == "0x1"
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}


def test_a_queued_transaction_of_another_sender_does_not_slow_automine(node):
    """Over HTTP an automined block is sealed after the answer (ogkit/chain/locking.py); a
    transaction waiting for another sender's gap does not make the node seal before it."""
    waiting = node.raw(1, key=DEV_KEYS[4])
    with node.chain.sealing_after_response():
        sent = node.raw(0)
    assert node.chain.miner._owed is not None  # sealed after the answer, as without a pool
    assert node.receipt(sent)["status"] == "0x1"  # reading it seals it first
    assert node.chain.miner._owed is None
    with node.chain.sealing_after_response():
        node.raw(0, key=DEV_KEYS[4])  # fills the gap: its waiting one runs before the answer
    assert node.chain.miner._owed is None
    assert node.block_of(waiting) == node.head()


def test_the_pool_outlives_a_revert(node):
    snapshot = node.call("evm_snapshot")
    node.raw(0)
    queued = node.raw(2)
    assert node.call("evm_revert", snapshot) is True
    assert node.nonce("latest") == 0 and node.nonce("pending") == 0
    assert node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}
    node.raw(0, value=9)
    node.raw(1)
    assert node.receipt(queued)["status"] == "0x1" and node.nonce("latest") == 3


def test_tracing_a_waiting_transaction_says_it_waits(node):
    waiting = node.raw(1)  # nonce 0 never came: it waits in the pool
    with pytest.raises(RpcFailure) as refused:
        node.call("debug_traceTransaction", waiting, {"tracer": "callTracer"})
    assert refused.value.message == (
        f"transaction {waiting} waits in the transaction pool; trace it once it has run"
    )
    ran = node.raw(0)
    assert node.call("debug_traceTransaction", ran, {"tracer": "callTracer"})["type"] == "CALL"
    assert node.call("debug_traceTransaction", waiting, {"tracer": "callTracer"})["to"] == SINK
