"""Section 3 of bench/reliability.py: does `eth_blockNumber` stay fast under abuse?

While a thread loops `eth_call` into a contract whose code is an infinite loop (set with
anvil_setCode) and 1,000 idle TCP connections are held (a keeper reopens each one the node
closes, so the pressure stays), a probe fires `eth_blockNumber` on a fresh connection every
50 ms, each probe in a thread of its own (a slow answer does not delay the next probe, so
the latencies are not hidden by waiting). A probe unanswered after PROBE_TIMEOUT counts
as failed. The same probe runs first on the idle node, as the baseline.
"""

from __future__ import annotations

import http.client
import math
import select
import socket
import threading
import time
from dataclasses import dataclass, field

from reliability_nodes import NodeProcess, Nodes, RpcFailure, call, raise_fd_limit

LOOP_ADDRESS = "0x" + "10" * 20
LOOP_CODE = "0x5b600056"  # JUMPDEST; PUSH1 0; JUMP
IDLE = 1000
PROBE_EVERY = 0.05
PROBE_TIMEOUT = 5.0
RECOVERY_LIMIT = 60.0
"""Seconds the node gets, once the loads stop, to answer eth_blockNumber again (a third
of that in --quick mode)."""
CALL_TIMEOUT = 10.0
"""Client-side bound on one looping eth_call (the node may run it longer)."""


def _error_name(exc: Exception) -> str:
    if isinstance(exc, RpcFailure):
        return f"JSON-RPC error {exc.code}"
    return type(exc).__name__


@dataclass
class Probes:
    latencies: list[float] = field(default_factory=list)
    """Seconds per probe; math.inf for one that failed or timed out."""
    errors: list[str] = field(default_factory=list)

    def fire(self, port: int, stop: threading.Event, seconds: float) -> None:
        threads: list[threading.Thread] = []
        lock = threading.Lock()

        def probe() -> None:
            t0 = time.perf_counter()
            try:
                call(port, "eth_blockNumber", [], PROBE_TIMEOUT)
                elapsed = time.perf_counter() - t0
            except (OSError, RpcFailure, ValueError) as exc:
                elapsed = math.inf
                with lock:
                    self.errors.append(_error_name(exc))
            with lock:
                self.latencies.append(elapsed)

        end = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < end and not stop.is_set():
            threads.append(threading.Thread(target=probe, daemon=True))
            threads[-1].start()
            next_at += PROBE_EVERY
            time.sleep(max(0.0, next_at - time.monotonic()))
        for thread in threads:
            thread.join(PROBE_TIMEOUT + 5)


@dataclass
class IdleHolder:
    """Holds `count` connections that never send a byte; reopens the ones the node closes."""

    port: int
    count: int
    opened: int = 0
    closed_by_node: int = 0
    open_failures: int = 0
    samples: list[int] = field(default_factory=list)
    """Connections open (as far as this side can tell) at each keeper pass."""

    def __post_init__(self) -> None:
        self.socks: list[socket.socket | None] = [None] * self.count
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._keep, daemon=True)

    def _open(self, i: int) -> None:
        try:
            self.socks[i] = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            self.opened += 1
        except OSError:
            self.socks[i] = None
            self.open_failures += 1

    def _closed(self) -> set[int]:
        poller = select.poll()
        index = {}
        for i, sock in enumerate(self.socks):
            if sock is not None:
                poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
                index[sock.fileno()] = i
        return {index[fd] for fd, _ in poller.poll(0)}

    def _keep(self) -> None:
        while not self.stop.is_set():
            closed = self._closed()
            self.samples.append(self.count - len(closed) - self.socks.count(None))
            for i in closed:
                self.socks[i].close()
                self.closed_by_node += 1
            for i, sock in enumerate(self.socks):
                if self.stop.is_set():
                    break
                if sock is None or i in closed:
                    self._open(i)
            self.stop.wait(1.0)

    def start(self) -> None:
        for i in range(self.count):
            self._open(i)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        for sock in self.socks:
            if sock is not None:
                sock.close()


@dataclass
class Looper:
    """Loops eth_call into the infinite-loop contract, each call bounded by CALL_TIMEOUT."""

    port: int
    answers: list[str] = field(default_factory=list)
    timeouts: int = 0
    dropped: int = 0
    """Calls whose connection failed (refused, reset, closed) rather than timed out."""
    durations: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            t0 = time.perf_counter()
            try:
                call(self.port, "eth_call", [{"to": LOOP_ADDRESS}, "latest"], CALL_TIMEOUT)
                self.answers.append("result")
            except RpcFailure as exc:
                self.answers.append(f"error {exc.code}: {str(exc.message)[:80]}")
            except TimeoutError:
                self.timeouts += 1
                continue
            except (OSError, ValueError, http.client.HTTPException):
                self.dropped += 1
                continue
            self.durations.append(time.perf_counter() - t0)


@dataclass
class Recovery:
    """How the node came out of the loads: seconds to its first answer after they stopped
    (None: none within the limit), whether its process still ran, its log if it died."""

    seconds: float | None
    limit: float
    running: bool
    log_tail: str = ""


def _recovery(node: NodeProcess, limit: float) -> Recovery:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit and node.process.poll() is None:
        try:
            call(node.port, "eth_blockNumber", [], limit)
            return Recovery(time.monotonic() - t0, limit, True)
        except (OSError, RpcFailure, ValueError, http.client.HTTPException):
            time.sleep(0.5)
    running = node.process.poll() is None
    return Recovery(None, limit, running, "" if running else node.log()[-3000:])


@dataclass
class Phase:
    """One probing window and the load held during it."""

    label: str
    probes: Probes
    idle: IdleHolder | None = None
    looper: Looper | None = None


@dataclass
class ProbeResult:
    fd_limit: tuple[int, int]
    one_call: tuple[float, str]
    """(seconds, outcome) of one looping eth_call on the idle node (NaN: not measured)."""
    phases: list[Phase]
    recovery: Recovery
    seconds: float

    @property
    def loaded(self) -> Phase:
        """The phase the issue's done-when is about: both loads at once."""
        return self.phases[-1]


def _phase(port: int, label: str, seconds: float, idle: bool, loop: bool) -> Phase:
    phase = Phase(label, Probes())
    phase.idle = IdleHolder(port, IDLE) if idle else None
    phase.looper = Looper(port) if loop else None
    try:
        if phase.idle is not None:
            phase.idle.start()
        if phase.looper is not None:
            phase.looper.thread.start()
            time.sleep(1.0)  # the first looping call is running
        phase.probes.fire(port, threading.Event(), seconds)
    finally:
        if phase.looper is not None:
            phase.looper.stop.set()
        if phase.idle is not None:
            phase.idle.close()
    return phase


def run_probe(nodes: Nodes, seconds: float, baseline_seconds: float, one: bool) -> ProbeResult:
    """Baseline, each load alone, then both (the order leaves a looping call that is still
    running only under a phase that loops anyway). `one`: the full run's extras (one
    looping call timed alone, the full recovery limit)."""
    started = time.monotonic()
    fd_limit = raise_fd_limit(IDLE * 2 + 512)
    node = nodes.start()
    call(node.port, "anvil_setCode", [LOOP_ADDRESS, LOOP_CODE], 30)
    one_call = _one_looping_call(node.port) if one else (math.nan, "not measured (--quick)")
    phases = [
        _phase(node.port, "idle node (baseline)", baseline_seconds, False, False),
        _phase(node.port, "1,000 idle connections", seconds, True, False),
        _phase(node.port, "looping eth_call", seconds, False, True),
        _phase(node.port, "**looping eth_call + 1,000 idle connections**", seconds, True, True),
    ]
    recovery = _recovery(node, RECOVERY_LIMIT if one else RECOVERY_LIMIT / 3)
    node.kill9()
    return ProbeResult(fd_limit, one_call, phases, recovery, time.monotonic() - started)


def _one_looping_call(port: int, timeout: float = 120.0) -> tuple[float, str]:
    """How long the node spends on one looping eth_call when nothing else runs."""
    t0 = time.perf_counter()
    try:
        call(port, "eth_call", [{"to": LOOP_ADDRESS}, "latest"], timeout)
        outcome = "a result"
    except RpcFailure as exc:
        outcome = f"error {exc.code}: {str(exc.message)[:100]}"
    except (OSError, ValueError) as exc:
        outcome = f"no answer ({type(exc).__name__})"
    return time.perf_counter() - t0, outcome
