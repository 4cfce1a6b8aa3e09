"""The response head the node writes in one string (ogkit/node/rpc/server.py `_send`) is
byte for byte what `BaseHTTPRequestHandler.send_response` and `send_header` wrote."""

from __future__ import annotations

import re
import socket

import pytest

from ogkit.node import Node, NodeConfig, ServerLimits

ORIGIN = "http://app.example"
DATE = r"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n"
BODY = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'


@pytest.fixture(scope="module")
def node(model_store):
    running = Node(
        NodeConfig(model_store=model_store.root, settlement=False),
        port=0,
        quiet=True,
        limits=ServerLimits(allow_origins=(ORIGIN,)),
    )
    running.start()
    yield running
    running.stop()


def _exchange(node, head: bytes) -> tuple[str, bytes]:
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        top, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", top)[1])
        while len(rest) < length:
            rest += sock.recv(65536)
        return top.decode("latin-1") + "\r\n\r\n", rest


def _post(body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return (
        f"POST / HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body
    )


def test_the_head_of_an_answer(node):
    head, body = _exchange(node, _post(BODY))
    assert body == b'{"jsonrpc":"2.0","id":1,"result":"0x539"}'
    assert re.fullmatch(
        r"HTTP/1\.1 200 OK\r\nServer: ogkit-node \r\n"
        + DATE
        + r"Content-Type: application/json\r\nVary: Origin\r\nContent-Length: 41\r\n\r\n",
        head,
    ), head


def test_the_head_for_an_allowed_origin(node):
    head, _ = _exchange(node, _post(BODY, f"Origin: {ORIGIN}"))
    assert re.fullmatch(
        r"HTTP/1\.1 200 OK\r\nServer: ogkit-node \r\n"
        + DATE
        + r"Content-Type: application/json\r\nAccess-Control-Allow-Origin: http://app\.example"
        r"\r\nVary: Origin\r\nContent-Length: 41\r\n\r\n",
        head,
    ), head
    other, _ = _exchange(node, _post(BODY, "Origin: http://elsewhere.example"))
    assert "Access-Control-Allow-Origin" not in other and "Vary: Origin\r\n" in other


def test_the_head_of_a_refusal_that_closes(node):
    head, body = _exchange(node, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert re.fullmatch(
        r"HTTP/1\.1 411 Length Required\r\nServer: ogkit-node \r\n"
        + DATE
        + r"Content-Type: application/json\r\nVary: Origin\r\nContent-Length: \d+\r\n"
        r"Connection: close\r\n\r\n",
        head,
    ), head
    assert b'"code":-32600' in body and b"Content-Length required" in body
