"""Websockets on the node's HTTP port: JSON-RPC, `eth_subscribe` (newHeads, logs,
newPendingTransactions), bad subscriptions, a socket that vanishes, and the Origin check."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from node_support import DEV_KEYS, transact
from web3 import AsyncWeb3, WebSocketProvider
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

OG_INFERENCE = "0x" + "00" * 19 + "f4"


def ws_url(node) -> str:
    return node.url.replace("http://", "ws://")


def call(ws, method: str, *params, request_id: int = 1) -> dict:
    ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
    while True:
        message = json.loads(ws.recv(timeout=30))
        if message.get("id") == request_id:
            return message


def pushed(ws, subscription: str, count: int = 1) -> list:
    out = []
    while len(out) < count:
        message = json.loads(ws.recv(timeout=30))
        if message.get("method") == "eth_subscription":
            assert message["params"]["subscription"] == subscription
            out.append(message["params"]["result"])
    return out


def test_async_web3_gets_new_heads(node):
    async def main() -> tuple[int, dict]:
        async with AsyncWeb3(WebSocketProvider(ws_url(node))) as w3:
            chain_id = await w3.eth.chain_id
            await w3.eth.subscribe("newHeads")
            await asyncio.get_running_loop().run_in_executor(None, node.rpc, "evm_mine")
            async for message in w3.socket.process_subscriptions():
                return chain_id, message["result"]
        raise AssertionError("no head")

    chain_id, head = asyncio.run(asyncio.wait_for(main(), 60))
    assert chain_id == 1337
    block = node.rpc("eth_getBlockByNumber", hex(head["number"]), False)
    assert head["hash"].to_0x_hex() == block["hash"]
    assert head["parentHash"].to_0x_hex() == block["parentHash"]


def test_filtered_logs_and_pending_transactions(node, w3, gate):
    with connect(ws_url(node)) as ws:
        only_gate = call(ws, "eth_subscribe", "logs", {"address": gate.address})["result"]
        only_f4 = call(ws, "eth_subscribe", "logs", {"address": OG_INFERENCE}, request_id=2)
        pending = call(ws, "eth_subscribe", "newPendingTransactions", request_id=3)["result"]
        receipt = transact(w3, DEV_KEYS[4], gate.functions.submit(["moon", "bullish"]))
        messages = [json.loads(ws.recv(timeout=30)) for _ in range(3)]

    by_subscription = {m["params"]["subscription"]: m["params"]["result"] for m in messages}
    tx_hash = receipt["transactionHash"].to_0x_hex()
    assert by_subscription[pending] == tx_hash
    gate_log = by_subscription[only_gate]
    assert gate_log["address"].lower() == gate.address.lower()
    assert gate_log["transactionHash"] == tx_hash
    f4_log = by_subscription[only_f4["result"]]
    assert f4_log["address"] == OG_INFERENCE
    assert f4_log["topics"][0] == receipt["logs"][0]["topics"][0].to_0x_hex()


def test_bad_subscriptions_get_errors_and_unsubscribe(node):
    with connect(ws_url(node)) as ws:
        unknown = call(ws, "eth_subscribe", "everything")["error"]
        assert (
            unknown["code"] == -32602 and "unknown subscription 'everything'" in unknown["message"]
        )
        huge = {"address": ["0x" + f"{i:040x}" for i in range(1_001)]}
        oversized = call(ws, "eth_subscribe", "logs", huge)["error"]
        assert oversized["message"] == "logs filter of 1001 items exceeds 1000"
        assert "takes no filter" in call(ws, "eth_subscribe", "newHeads", {})["error"]["message"]
        bad_address = call(ws, "eth_subscribe", "logs", {"address": "0x12"})
        assert bad_address["error"]["code"] == -32602
        subscription = call(ws, "eth_subscribe", "newHeads")["result"]
        assert call(ws, "eth_unsubscribe", subscription)["result"] is True
        assert call(ws, "eth_unsubscribe", subscription)["result"] is False
        assert call(ws, "eth_chainId")["result"] == "0x539"  # plain JSON-RPC on the socket
        ws.send("not json")
        assert json.loads(ws.recv(timeout=30))["error"]["code"] == -32700


def test_a_socket_that_vanishes_leaves_the_node_serving(node):
    ws = connect(ws_url(node))
    call(ws, "eth_subscribe", "newHeads")
    ws.socket.shutdown(socket.SHUT_RDWR)  # no close frame: the client just goes away
    ws.socket.close()
    before = int(node.rpc("eth_blockNumber"), 16)
    node.rpc("evm_mine")
    assert int(node.rpc("eth_blockNumber"), 16) == before + 1
    with connect(ws_url(node)) as again:
        assert call(again, "eth_blockNumber")["result"] == hex(before + 1)


def test_a_browser_origin_is_refused_unless_allowed(node):
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(node), origin="http://evil.example")
    assert refused.value.response.status_code == 403
