"""Section 1 of bench/reliability.py: fuzzed JSON-RPC requests against one `ogkit node`.

Each request goes on a fresh connection with a client timeout. After every chunk the node
must still answer `eth_blockNumber`; a node that exited or stopped answering is a death:
recorded with the requests of its chunk that failed and the tail of its log, then the node
is replaced by a fresh one and fuzzing goes on.
"""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reliability_fuzzgen import FuzzRequest, Generator, method_names
from reliability_nodes import NodeProcess, Nodes, RpcFailure, call

REQUEST_TIMEOUT = 10.0
ALIVE_TIMEOUT = 15.0
CHUNK = 50
EXAMPLES = 5
LONG_POLL = b"ogkit_waitForSettlement"
"""Waits up to 60 s for a settlement by design: a timeout there is not a hang."""


@dataclass
class Death:
    chunk: tuple[int, int]
    exit_code: int | None
    suspects: list[str]
    log_tail: str


@dataclass
class FuzzResult:
    seed: int
    methods: int
    sent: int = 0
    kinds: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    """Response objects by outcome: "result" or the error code."""
    bad_answers: int = 0
    bad_examples: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    long_polls: int = 0
    """Timeouts of requests that held an ogkit_waitForSettlement (a long poll)."""
    dropped: Counter = field(default_factory=Counter)
    """Connections the node closed without an answer, by request kind."""
    deaths: list[Death] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)
    """Tracebacks the nodes printed (internal errors), from their logs."""
    seconds: float = 0.0


def send(port: int, request: FuzzRequest) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Content-Type": "application/json"}
        conn.request(request.verb, "/", request.body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _response_ok(item: Any) -> bool:
    if not isinstance(item, dict) or item.get("jsonrpc") != "2.0" or "id" not in item:
        return False
    if ("result" in item) == ("error" in item):
        return False
    if "error" in item:
        error = item["error"]
        return (
            isinstance(error, dict)
            and type(error.get("code")) is int
            and isinstance(error.get("message"), str)
        )
    return True


def conformance(request: FuzzRequest, body: bytes) -> str | None:
    """Why `body` is not a JSON-RPC 2.0 answer to `request`; None if it is one."""
    if not body:
        return None if request.may_be_empty else "empty body"
    if request.verb == "HEAD":
        return None
    try:
        reply = json.loads(body)
    except ValueError:
        return "not JSON"
    items = reply if isinstance(reply, list) and reply else [reply]
    if not all(_response_ok(item) for item in items):
        return "not a JSON-RPC 2.0 response object"
    if request.echo_id is not None and isinstance(reply, dict):
        if reply.get("id") != request.echo_id or type(reply.get("id")) is not type(request.echo_id):
            return f"id {reply.get('id')!r} instead of {request.echo_id!r}"
    return None


def _count_outcomes(body: bytes, outcomes: Counter) -> None:
    try:
        reply = json.loads(body) if body else []
    except ValueError:
        return
    for item in reply if isinstance(reply, list) else [reply]:
        if isinstance(item, dict) and "result" in item:
            outcomes["result"] += 1
        elif isinstance(item, dict) and isinstance(item.get("error"), dict):
            outcomes[item["error"].get("code")] += 1


def tracebacks(log: str) -> list[str]:
    """Each traceback in a node's log, up to its last line (the exception)."""
    found = []
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = block.strip("\n").splitlines()
        end = next((i for i, x in enumerate(lines) if x and not x.startswith(" ")), -1)
        found.append("\n".join(lines[: end + 1]))
    return found


def _alive(node: NodeProcess) -> bool:
    if node.process is None or node.process.poll() is not None:
        return False
    try:
        call(node.port, "eth_blockNumber", [], ALIVE_TIMEOUT)
        return True
    except (OSError, RpcFailure, ValueError):
        return False


def _one(node: NodeProcess, request: FuzzRequest, result: FuzzResult, failed: list[str]) -> None:
    result.sent += 1
    result.kinds[request.kind.split(":")[0]] += 1
    try:
        status, body = send(node.port, request)
    except TimeoutError:
        if LONG_POLL in request.body:
            result.long_polls += 1
            return
        result.timeouts.append(request.describe(200))
        failed.append(f"timed out: {request.describe()}")
        return
    except (OSError, http.client.HTTPException) as exc:
        result.dropped[request.kind] += 1
        failed.append(f"{type(exc).__name__}: {request.describe()}")
        return
    result.statuses[status] += 1
    _count_outcomes(body, result.outcomes)
    why = conformance(request, body)
    if why is not None:
        result.bad_answers += 1
        if len(result.bad_examples) < EXAMPLES:
            answer = body[:200].decode("utf-8", "backslashreplace")
            result.bad_examples.append(f"{why}: {request.describe(200)} → HTTP {status} {answer}")


def run_fuzz(nodes: Nodes, count: int, seed: int) -> FuzzResult:
    methods = method_names()
    generator = Generator(seed, methods)
    result = FuzzResult(seed=seed, methods=len(methods))
    started = time.monotonic()
    node = nodes.start()
    for first in range(0, count, CHUNK):
        last = min(first + CHUNK, count)
        failed: list[str] = []
        sent: list[FuzzRequest] = []
        for index in range(first, last):
            sent.append(generator.next(index))
            before = len(failed)
            _one(node, sent[-1], result, failed)
            if len(failed) > before and len(sent) > 1 and before == 0:
                failed.insert(0, f"sent just before: {sent[-2].describe()}")
        if not _alive(node):
            result.tracebacks += tracebacks(node.log())
            code = node.process.poll() if node.process is not None else None
            tail = node.log()[-3000:]
            result.deaths.append(Death((first, last - 1), code, failed[:6], tail))
            node.kill9()
            node = nodes.start()
    node.kill9()
    result.tracebacks += tracebacks(node.log())
    result.seconds = time.monotonic() - started
    return result
