"""A node nobody can stall or trick over HTTP: idle and slow connections, garbage, odd ids,
huge echoes, other origins (issue 12, "a server fit for abuse" and "safer defaults").

The main node runs with a soft limit of 1,000 open files (below the common default of 1,024,
as the 1,100 connections that stalled a node were above it), so that holding 1,000 idle
connections shows what the connection cap is for; `small` runs with a cap of 2 and CORS
allowed for one origin.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import threading
import time

import pytest
from eth_utils import to_checksum_address
from node_support import OGKIT, ROOT, NodeProcess, post

from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.inference.model_codec import encode_model_inference_request
from precompiles.inference.precompile import RUN_MODEL_INFERENCE
from precompiles.inference.types import ModelInferenceRequest, ModelInput

IDLE_SOCKETS = 1_000
PROBES = 50
NODE_NOFILE = 1_000
ALLOWED = "http://app.example"


@contextlib.contextmanager
def _soft_nofile(limit: int):
    """Children started inside inherit `limit` as their soft limit on open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def node(tmp_path_factory, model_store):
    with _soft_nofile(NODE_NOFILE):
        process = NodeProcess(tmp_path_factory.mktemp("abuse"), store=model_store.root).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def small(tmp_path_factory, model_store):
    workdir = tmp_path_factory.mktemp("small")
    # no settlement service: its own connection to the node would take one of the 2 slots
    args = ("--max-connections", "2", "--allow-origin", ALLOWED, "--no-settlement")
    process = NodeProcess(workdir, *args, store=model_store.root).start()
    yield process
    process.stop()


def _rpc_body(method: str, *params, request_id=1) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}
    ).encode()


def _http_request(body: bytes, extra: str = "") -> bytes:
    return (
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ----------------------------------------------------------------------- connections


def test_thousand_idle_connections_do_not_stall_the_node(node):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = IDLE_SOCKETS + 256
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the hard limit on open files ({hard}) cannot hold {IDLE_SOCKETS} sockets")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held: list[socket.socket] = []
    try:
        for i in range(IDLE_SOCKETS):
            sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
            if i % 2:  # half of them start a request and never finish its headers
                sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        time.sleep(0.5)
        pid = node.process.pid
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
        cpu_before, wall_before = _cpu_seconds(pid), time.monotonic()
        latencies = []
        for _ in range(PROBES):
            start = time.monotonic()
            try:
                status, raw = post(node.url, _rpc_body("eth_blockNumber"), timeout=5)
                ok = status == 200 and json.loads(raw)["result"].startswith("0x")
            except OSError:
                ok = False
            latencies.append(time.monotonic() - start if ok else float("inf"))
            time.sleep(0.02)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - wall_before)))
        cpu = (_cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    finally:
        for sock in held:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
    print(
        f"\n{IDLE_SOCKETS} idle sockets held: eth_blockNumber p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; node CPU {cpu:.1%}; "
        f"node descriptors {descriptors}"
    )
    assert p99 < 1.0, latencies
    assert cpu < 0.25
    assert descriptors < 256 + 128  # the cap (default 256) plus the node's own files
    assert node.rpc("eth_blockNumber").startswith("0x")
    assert "Traceback" not in node.log()


def test_silent_and_dribbling_connections_are_closed(node):
    silent = socket.create_connection(("127.0.0.1", node.port), timeout=20)
    dribbler = socket.create_connection(("127.0.0.1", node.port), timeout=20)
    keep_alive = socket.create_connection(("127.0.0.1", node.port), timeout=20)
    stop = threading.Event()

    def dribble() -> None:  # a request line, one byte a second (slowloris)
        for byte in b"POST / HTTP/1.1 and so on and so on":
            if stop.wait(1.0):
                return
            try:
                dribbler.send(bytes([byte]))
            except OSError:
                return

    thread = threading.Thread(target=dribble)
    thread.start()
    try:
        keep_alive.sendall(_http_request(_rpc_body("eth_chainId")))
        assert _read_response(keep_alive)[0] == 200
        time.sleep(12.5)  # past the 10 s a new connection has to send its request
        for sock in (silent, dribbler):
            sock.settimeout(0.5)
            assert _closed_by_peer(sock)
        keep_alive.sendall(_http_request(_rpc_body("eth_chainId", request_id=2)))
        status, _, body = _read_response(keep_alive)  # keep-alive: 120 s between requests
        assert status == 200 and json.loads(body)["result"] == "0x539"
    finally:
        stop.set()
        thread.join()
        for sock in (silent, dribbler, keep_alive):
            sock.close()


def test_at_the_cap_idle_connections_make_room_and_busy_ones_refuse(small):
    idle = [socket.create_connection(("127.0.0.1", small.port), timeout=10) for _ in range(2)]
    time.sleep(0.2)
    # the cap is 2 and both slots are idle: a new client still gets its answer
    assert small.rpc("eth_blockNumber", timeout=5).startswith("0x")
    idle[0].settimeout(2)
    assert _closed_by_peer(idle[0])  # the one that waited longest made room
    for sock in idle:
        sock.close()
    time.sleep(0.5)  # their threads (and the probe's) are gone: both slots are free

    busy = []
    for _ in range(2):  # two slow requests (the second waits for the first) fill both slots
        sock = socket.create_connection(("127.0.0.1", small.port), timeout=60)
        sock.sendall(_http_request(_rpc_body("anvil_mine", hex(1500))))
        busy.append(sock)
        time.sleep(0.25)
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as third:
        status, headers, body = _read_response(third)
    assert status == 503 and headers["content-type"] == "application/json"
    reply = json.loads(body)
    assert reply["jsonrpc"] == "2.0" and reply["error"]["code"] == -32005
    for sock in busy:
        assert _read_response(sock)[0] == 200
        sock.close()
    assert small.rpc("eth_blockNumber").startswith("0x")


# ------------------------------------------------------------------- JSON-RPC answers


def _raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 405),
        (b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"PATCH / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"GET /?x=<script> HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", 405),  # CORS is off by default
        (b"GARBAGE\r\n\r\n", 400),
        (b"\x00\x01\x02\x03 / and more words\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\n\r\n", 505),
        (b"GET / FTP/1.0\r\n\r\n", 400),
        (b"PUT /\r\n\r\n", 400),  # HTTP/0.9 allows GET only
        (b"POST / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
    ids=lambda value: repr(value[:24]) if isinstance(value, bytes) else str(value),
)
def test_every_answer_is_json_rpc(node, payload, status):
    raw = _raw_exchange(node.port, payload)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), raw[:300]
    assert b"content-type: application/json" in head.lower(), raw[:300]
    reply = json.loads(body)
    assert reply["jsonrpc"] == "2.0" and reply["id"] is None
    assert reply["error"]["code"] == -32600
    assert len(reply["error"]["message"]) < 1_200
    assert b"<html" not in raw.lower() and b"Traceback" not in raw


def test_http_0_9_gets_a_bare_json_body(node):
    raw = _raw_exchange(node.port, b"GET /\r\n\r\n")
    reply = json.loads(raw)  # HTTP/0.9: no status line, no headers
    assert reply["error"]["code"] == -32600


def test_invalid_ids_are_refused_one_by_one(node):
    before = node.rpc("eth_getTransactionCount", node.rpc("eth_accounts")[0], "latest")
    sender, receiver = node.rpc("eth_accounts")[:2]
    tx = {"from": sender, "to": receiver, "value": "0x1"}
    status, reply = node.raw(
        b'{"jsonrpc":"2.0","id":1e400,"method":"eth_sendTransaction","params":['
        + json.dumps(tx).encode()
        + b"]}"
    )
    assert status == 200 and reply["id"] is None and reply["error"]["code"] == -32600
    batch = (
        b"["
        + b'{"jsonrpc":"2.0","id":1e400,"method":"eth_blockNumber"},'
        + b'{"jsonrpc":"2.0","id":-1e400,"method":"eth_blockNumber"},'
        + b'{"jsonrpc":"2.0","id":{"a":1},"method":"eth_blockNumber"},'
        + b'{"jsonrpc":"2.0","id":[1],"method":"eth_blockNumber"},'
        + b'{"jsonrpc":"2.0","id":true,"method":"eth_blockNumber"},'
        + b'{"jsonrpc":"2.0","id":7,"method":"eth_sendTransaction","params":['
        + json.dumps(tx).encode()
        + b"]},"
        + b'{"jsonrpc":"2.0","id":"eight","method":"eth_chainId"},'
        + b'{"jsonrpc":"2.0","id":9.5,"method":"eth_chainId"}'
        + b"]"
    )
    status, replies = node.raw(batch)
    assert status == 200 and isinstance(replies, list) and len(replies) == 8
    refused = [r for r in replies if r["id"] is None]
    assert len(refused) == 5 and all(r["error"]["code"] == -32600 for r in refused)
    by_id = {r["id"]: r for r in replies if r["id"] is not None}
    assert by_id[7]["result"].startswith("0x") and len(by_id[7]["result"]) == 66
    assert by_id["eight"]["result"] == "0x539" and by_id[9.5]["result"] == "0x539"
    after = node.rpc("eth_getTransactionCount", sender, "latest")
    assert int(after, 16) == int(before, 16) + 1  # only the sibling with a valid id ran
    assert "Traceback" not in node.log()


# ---------------------------------------------------------------------- bounded echoes


def test_a_huge_model_id_is_not_echoed_back(node):
    cid = "Qm" + "x" * 300_000
    request = ModelInferenceRequest(0, cid, ModelInput())
    data = "0x" + (RUN_MODEL_INFERENCE + encode_model_inference_request(request)).hex()
    call = {"to": to_checksum_address(OG_INFERENCE_ADDRESS), "data": data, "gas": hex(29_000_000)}
    status, raw = post(node.url, _rpc_body("eth_call", call, "latest"))
    assert status == 200
    assert len(raw) < 4_000, f"{len(raw)} bytes of answer"
    error = json.loads(raw)["error"]
    assert error["code"] == 3
    assert "model not found: Qmxxx" in error["message"]
    assert "… (300002 bytes)" in error["message"]


# ----------------------------------------------------------------------------- CORS


def test_no_cors_unless_an_origin_is_allowed(node, small):
    body = _rpc_body("eth_chainId")
    for target, origin in ((node, ALLOWED), (small, "http://evil.example")):
        with socket.create_connection(("127.0.0.1", target.port), timeout=10) as sock:
            sock.sendall(_http_request(body, f"Origin: {origin}\r\n"))
            status, headers, _ = _read_response(sock)
        assert status == 200 and "access-control-allow-origin" not in headers
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as sock:
        sock.sendall(_http_request(body, f"Origin: {ALLOWED}\r\n"))
        status, headers, _ = _read_response(sock)
        assert status == 200 and headers["access-control-allow-origin"] == ALLOWED
        preflight = (
            f"OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: {ALLOWED}\r\n"
            "Access-Control-Request-Method: POST\r\n\r\n"
        )
        sock.sendall(preflight.encode())
        status, headers, _ = _read_response(sock)
        assert status == 204 and headers["access-control-allow-origin"] == ALLOWED
        assert "POST" in headers["access-control-allow-methods"]


def test_banner_says_the_keys_are_dev_only(node):
    log = node.log()
    assert "DEV ONLY" in log and "CORS:              off" in log


def test_a_non_loopback_host_is_warned_about():
    # 192.0.2.1 (TEST-NET-1) is on no interface: the node warns, then cannot bind.
    done = subprocess.run(
        [str(OGKIT), "node", "--host", "192.0.2.1", "--port", "0", "--no-settlement"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "WARNING: listening on 192.0.2.1" in done.stderr
    assert "private keys are public" in done.stderr
    assert "cannot listen" in done.stderr
