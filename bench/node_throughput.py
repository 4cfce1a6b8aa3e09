"""What bench/node.py measures over HTTP: transactions per second, latency and the node's CPU
time per cell in interleaved rounds on both nodes, the ratios ours / anvil per round, and the
round trip of a trivial request."""

from __future__ import annotations

import node_setup  # noqa: F401 - first: env defaults before ogkit loads

# isort: split

import time

from node_client import POLLS, Workload, deploy, run_cell
from node_setup import BOTH, KEYS, MODES, PER_CELL, RTT_CALLS, WARMUP, Server


def bench_throughput(
    ours: Server, anvil: Server, artifacts: dict, rounds: int, workloads: tuple[str, ...]
) -> dict:
    loads = {}
    for server in (ours, anvil):
        counter = deploy(server, KEYS["call"], artifacts["BenchCounter"])
        gate = (
            deploy(server, KEYS["infer"], artifacts["SentimentGate"], "sentiment")
            if server is ours
            else None
        )
        loads[server.name] = Workload(server, counter, gate)
    groups = [  # a workload and mode: ogkit node's cell and, if anvil runs it, anvil's
        [(server, workload, mode) for server in (ours, anvil) if server is ours or workload in BOTH]
        for workload in workloads
        for mode in MODES
    ]
    for server in (ours, anvil):  # warm-up (and the cached inference's first, real, run)
        for workload in workloads:
            if server is ours or workload in BOTH:
                run_cell(server.w3, loads[server.name].sign_batch(workload, WARMUP), "sequential")
    tps: dict[str, list[float]] = {}
    latency: dict[str, list[float]] = {}
    empty: dict[str, int] = {}
    cpu: dict[str, list[float]] = {}
    idle = {"ours": [0.0, 0.0], "anvil": [0.0, 0.0]}  # CPU s, wall s while the other ran
    for r in range(rounds):
        # Rotated by whole groups, reversed every other round: the two cells a ratio
        # compares always run back to back, in alternating order.
        rotated = groups[r % len(groups) :] + groups[: r % len(groups)]
        order = [cell for group in rotated for cell in group]
        if r % 2:
            order = order[::-1]
        for server, workload, mode in order:
            raws = loads[server.name].sign_batch(workload, PER_CELL)
            misses = POLLS["count"]
            other = anvil if server is ours else ours
            other_before, t0 = other.cpu_seconds(), time.perf_counter()
            cpu_before = server.cpu_seconds()
            rate, latencies = run_cell(server.w3, raws, mode)
            key = f"{server.name}|{workload}|{mode}"
            idle[other.name][0] += other.cpu_seconds() - other_before
            idle[other.name][1] += time.perf_counter() - t0
            cpu.setdefault(key, []).append((server.cpu_seconds() - cpu_before) / len(raws))
            tps.setdefault(key, []).append(rate)
            latency.setdefault(key, []).extend(latencies)
            empty[key] = empty.get(key, 0) + POLLS["count"] - misses
    return {
        "tps": tps,
        "latency": latency,
        "cpu": cpu,
        "empty_polls": empty,
        "idle_cpu": idle,
        "txs": rounds * PER_CELL,
    }


def round_trip(server: Server) -> list[float]:
    """Seconds per `eth_chainId` through the same client: transport and client overhead."""
    w3 = server.w3
    for _ in range(30):
        _ = w3.eth.chain_id
    out = []
    for _ in range(RTT_CALLS):
        t0 = time.perf_counter()
        _ = w3.eth.chain_id
        out.append(time.perf_counter() - t0)
    return out


def round_ratios(tps: dict[str, list[float]], workload: str, mode: str) -> list[float]:
    """ours / anvil per round: the two cells of a round ran back to back."""
    ours, theirs = tps[f"ours|{workload}|{mode}"], tps[f"anvil|{workload}|{mode}"]
    return [a / b for a, b in zip(ours, theirs, strict=True)]
