"""`ogkit gateway` over plain HTTP (and once over its pinned TLS): its limits. The body's size
and length, generations in number and wall clock, a slot freed before the answer, keep-alive,
connections, and the certificate the registry would pin."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time

from gateway_support import CHAT, HELLO, call, serve

from ogkit.gateway import GatewayLimits


def _raw(server, head: bytes) -> bytes:
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
        return reply


def test_body_size_and_length_are_bounded(gateway):
    """Refused from the headers alone: the body is never read."""
    reply = _raw(gateway, b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413")
    assert b'"message": "the body exceeds 1048576 bytes"' in reply
    reply = _raw(gateway, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 411")


def test_generations_are_bounded_in_number_and_wall_clock(inference_node):
    server = serve(inference_node, tls=False, limits=GatewayLimits(max_concurrent=1))
    try:
        assert server.slots.acquire(blocking=False)  # one generation in flight
        status, _, body = call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})
        assert (status, body["error"]["type"]) == (429, "rate_limit_error")
        server.slots.release()
        assert call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})[0] == 200
    finally:
        server.stop()
    server = serve(inference_node, tls=False, limits=GatewayLimits(generation_seconds=0))
    try:
        status, _, body = call(server, CHAT, {"model": "tiny-llm", "messages": HELLO})
        assert status == 200 and body["choices"][0]["finish_reason"] == "length"
        assert body["choices"][0]["message"]["content"] == ""
        assert body["usage"]["completion_tokens"] == 0
    finally:
        server.stop()


def test_a_slot_is_free_again_before_the_answer_arrives(inference_node):
    """Back-to-back requests of one client never see 429: the slot is released when the
    generation ends, before the answer is written (it was released after, a race that
    refused the next request on a loaded machine)."""
    server = serve(inference_node, tls=False, limits=GatewayLimits(max_concurrent=1))
    try:
        for stream in (False, True) * 10:
            request = {"model": "tiny-llm", "messages": HELLO, "stream": stream}
            assert call(server, CHAT, request)[0] == 200
            assert server.slots.acquire(blocking=False)  # free the moment the answer is read
            server.slots.release()
    finally:
        server.stop()


def test_keep_alive_serves_several_requests_on_one_connection(gateway):
    host, port = gateway.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    body = json.dumps({"model": "tiny-llm", "messages": HELLO})
    for _ in range(3):
        connection.request("POST", CHAT, body, {"Content-Type": "application/json"})
        reply = connection.getresponse()
        assert reply.status == 200 and json.loads(reply.read())["choices"]
    first = connection.sock
    connection.request("GET", "/v1/models")
    assert connection.getresponse().read() and connection.sock is first
    connection.close()


def test_connections_are_bounded(inference_node):
    server = serve(inference_node, tls=False, limits=GatewayLimits(max_connections=1))
    try:
        host, port = server.server_address[:2]
        with socket.create_connection((host, port), timeout=10) as idle:
            time.sleep(0.2)  # the idle connection holds the one thread
            with socket.create_connection((host, port), timeout=10) as extra:
                assert extra.recv(100) == b""  # closed at once, before it said anything
            idle.sendall(b"GET /v1/models HTTP/1.0\r\n\r\n")
            assert idle.recv(100).startswith(b"HTTP/1.1 200")
        time.sleep(0.2)
        assert call(server, "/v1/models", method="GET")[0] == 200  # the slot came back
    finally:
        server.stop()


def test_tls_serves_the_certificate_the_registry_would_pin(inference_node):
    server = serve(inference_node)
    try:
        der = inference_node.enclave.tls_certificate_der
        context = ssl.create_default_context(cadata=der)  # as the SDK pins it
        context.check_hostname = False
        host, port = server.server_address[:2]
        connection = http.client.HTTPSConnection(host, port, context=context, timeout=30)
        connection.request("GET", "/v1/models")
        assert connection.sock.getpeercert(binary_form=True) == der
        assert connection.getresponse().status == 200
        connection.close()
        assert server.url == f"https://127.0.0.1:{port}"
    finally:
        server.stop()
