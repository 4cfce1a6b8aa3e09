"""Fuzzing the node's JSON-RPC and HTTP handling: it answers everything and keeps serving.

Seeded random requests (malformed JSON, wrong types, huge ids and numbers, unknown methods,
random params for every known method, batches) from two threads at once, then raw-socket
HTTP abuse. Every reply must be a well-formed JSON-RPC response, no request may produce an
internal error (-32603: that would be a bug), and the node must still mine afterwards.
"""

from __future__ import annotations

import json
import random
import socket
import threading

from node_support import post
from web3 import Web3

from ogkit.node.rpc import Rpc

SEED = 20240603
REQUESTS_PER_THREAD = 300
ALLOWED_CODES = {-32700, -32600, -32601, -32602, -32000, 3}


def known_methods() -> list[str]:
    class _Stub:  # only the method table is needed
        automine = True

    return sorted(Rpc(_Stub(), "fuzz").methods)  # type: ignore[arg-type]


def random_hex(rng: random.Random) -> str:
    size = rng.choice([0, 1, 2, 19, 20, 21, 31, 32, 33, 64, 200])
    text = "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(size))
    return rng.choice(["0x", "0X", "", "0x0"]) + text


def random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(14 if depth < 3 else 10)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**53, 2**64, 2**256, -(2**255), 10**100])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e308, 3.0])
    if kind in (4, 5, 6):
        return random_hex(rng)
    if kind == 7:
        return rng.choice(["latest", "pending", "earliest", "safe", "finalized", "", "0x", "💥"])
    if kind == 8:
        return "x" * rng.choice([1, 1000, 100_000])
    if kind == 9:
        return hex(rng.randrange(0, 2 ** rng.choice([4, 8, 16, 64, 256])))
    if kind in (10, 11):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [
        "from",
        "to",
        "data",
        "input",
        "value",
        "gas",
        "gasPrice",
        "nonce",
        "address",
        "topics",
        "fromBlock",
        "toBlock",
        "blockHash",
        "timestamp",
        "blocks",
        "types",
        "message",
        "domain",
        "primaryType",
        "accessList",
        "maxFeePerGas",
    ]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def random_request(rng: random.Random, methods: list[str]) -> object:
    roll = rng.random()
    request: dict[str, object] = {"jsonrpc": "2.0"}
    if roll < 0.93:
        request["id"] = rng.choice([1, "a", None, 10**40, -5, 2.5, "", "x" * 500])
    elif roll < 0.97:
        request["id"] = rng.choice([[1], {"a": 1}, True])
    if rng.random() < 0.9:
        request["method"] = (
            rng.choice(methods)
            if rng.random() < 0.85
            else rng.choice(["eth_foo", "", "x" * 10_000, "debug_traceTransaction", "admin_peers"])
        )
    else:
        request["method"] = random_value(rng)
    if rng.random() < 0.9:
        request["params"] = [random_value(rng) for _ in range(rng.randrange(5))]
    else:
        request["params"] = random_value(rng)
    if rng.random() < 0.03:
        request["jsonrpc"] = "1.0"
    return request


def random_body(rng: random.Random, methods: list[str]) -> bytes:
    roll = rng.random()
    if roll < 0.06:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if roll < 0.10:
        whole = json.dumps(random_request(rng, methods)).encode()
        return whole[: rng.randrange(len(whole))]
    if roll < 0.12:
        return rng.choice(
            [
                b"",
                b"   ",
                b"null",
                b"1",
                b"{}",
                b"[[]]",
                b"NaN",
                b'{"id": NaN}',
                b"[" * 100_000,
                b'{"a":' * 50_000,
                b"9" * 5000,
                b"\xff\xfe",
            ]
        )
    if roll < 0.25:
        batch = [random_request(rng, methods) for _ in range(rng.randrange(1, 8))]
        return json.dumps(batch).encode()
    return json.dumps(random_request(rng, methods)).encode()


def check_reply(reply: object) -> None:
    assert isinstance(reply, dict), reply
    assert reply.get("jsonrpc") == "2.0"
    assert "id" in reply
    assert ("result" in reply) != ("error" in reply), reply
    if "error" in reply:
        error = reply["error"]
        assert isinstance(error["message"], str) and error["message"]
        assert error["code"] in ALLOWED_CODES, error


def test_random_requests_never_break_the_node(node):
    methods = known_methods()
    failures: list[str] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(REQUESTS_PER_THREAD):
            body = random_body(rng, methods)
            try:
                status, raw = post(node.url, body, timeout=60)
                assert status in (200, 413), status
                if not raw:
                    continue  # notifications only
                reply = json.loads(raw)
                for item in reply if isinstance(reply, list) else [reply]:
                    check_reply(item)
            except Exception as exc:  # noqa: BLE001 - collect and report every failure
                failures.append(f"{type(exc).__name__}: {exc!s:.300} <- {body[:300]!r}")

    threads = [threading.Thread(target=worker, args=(SEED + i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, "\n".join(failures[:20])
    assert node.process.poll() is None
    assert node.rpc("eth_blockNumber").startswith("0x")
    assert "Traceback" not in node.log()


def _raw_http(port: int, payload: bytes, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(payload)
        if not read:
            return b""
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_malformed_http_never_breaks_the_node(node):
    port = node.port
    cases = [
        b"GARBAGE\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\n\r\n",  # no Content-Length
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"short":',  # then EOF
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 70_000 + b"\r\n\r\n",
        b"\x00\x01\x02\x03" * 1000,
    ]
    for payload in cases:
        _raw_http(port, payload)
    bombs = (b"[" * 100_000, b'{"a":' * 50_000, b'{"jsonrpc":"2.0","id":1,"params":' + b"[" * 5000)
    for bomb in bombs:
        status, raw = post(node.url, bomb)
        assert status == 200 and json.loads(raw)["error"]["code"] == -32700
    # a client that connects and says nothing, and one that stops mid-body, stay harmless
    idle = socket.create_connection(("127.0.0.1", port), timeout=30)
    idle.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
    try:
        node.rpc("evm_setAutomine", True)  # the random requests may have turned it off
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        before = w3.eth.block_number
        tx = w3.eth.send_transaction(
            {"from": w3.eth.accounts[0], "to": w3.eth.accounts[1], "value": 1}
        )
        assert w3.eth.wait_for_transaction_receipt(tx, timeout=60).blockNumber == before + 1
        assert "Traceback" not in node.log()
    finally:
        idle.close()
