"""The markdown of bench/RESULTS-reliability.md, one function per section."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from reliability_fuzz import FuzzResult
from reliability_kill import KillResult
from reliability_probe import CALL_TIMEOUT, IdleHolder, Looper, ProbeResult, Probes, Recovery
from stats import Summary, fmt

P99_TARGET = 1.0


def nearest_rank(samples: Sequence[float], q: float) -> float:
    """The q-quantile by nearest rank: a real sample (math.inf if that is a failed probe)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(x: float, timeout: float) -> str:
    return f"> {timeout * 1000:,.0f} (failed)" if math.isinf(x) else fmt(x * 1000, 1)


def probe_row(label: str, probes: Probes, timeout: float) -> str:
    answered = [x for x in probes.latencies if math.isfinite(x)]
    spread = Summary.of([x * 1000 for x in answered])
    cells = [
        label,
        str(len(probes.latencies)),
        _ms(nearest_rank(probes.latencies, 0.5), timeout),
        _ms(nearest_rank(probes.latencies, 0.99), timeout),
        _ms(max(probes.latencies, default=math.nan), timeout),
        f"{fmt(spread.p10, 1)} – {fmt(spread.p90, 1)}",
        str(len(probes.latencies) - len(answered)),
    ]
    return "| " + " | ".join(cells) + " |"


def fuzz_section(r: FuzzResult) -> list[str]:
    L = [
        "## 1. Fuzzed requests",
        "",
        f"{r.sent:,} requests (seed {r.seed}) in {r.seconds:.0f} s, on a fresh connection "
        f"each: methods drawn from the node's {r.methods} and junk names, random and "
        "malformed params, junk bodies, batches, bad ids, other HTTP verbs, bodies over "
        "8 MiB. The node is checked with `eth_blockNumber` every 50 requests.",
        "",
        "| | |",
        "|---|---:|",
        f"| requests sent | {r.sent:,} |",
        f"| by kind | {', '.join(f'{k} {v:,}' for k, v in sorted(r.kinds.items()))} |",
        f"| HTTP statuses | {', '.join(f'{k}: {v:,}' for k, v in sorted(r.statuses.items()))} |",
        f"| response objects by outcome | "
        f"{', '.join(f'{k}: {v:,}' for k, v in r.outcomes.most_common())} |",
        f"| answers that were not JSON-RPC 2.0 | **{r.bad_answers}** |",
        f"| connections closed without an answer | {sum(r.dropped.values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(r.dropped.items())) or 'none'}) |",
        f"| requests unanswered after 10 s | {len(r.timeouts)} (and {r.long_polls} holding "
        "`ogkit_waitForSettlement`, which waits up to 60 s by design) |",
        f"| node deaths (exited or stopped answering) | **{len(r.deaths)}** |",
        f"| tracebacks in the node's log | **{len(r.tracebacks)}** |",
        "",
    ]
    for tb in r.tracebacks[:3]:
        L += ["* traceback:", "", "  ```", *[f"  {x}" for x in tb.splitlines()[-20:]], "  ```"]
    L += [f"* not JSON-RPC 2.0: `{e[:400]}`" for e in r.bad_examples]
    L += [f"* unanswered: `{e}`" for e in r.timeouts[:5]]
    for d in r.deaths:
        L += [
            f"* **death** in requests {d.chunk[0]}–{d.chunk[1]} (exit code {d.exit_code}); "
            "failed requests of that chunk:",
            *[f"  * `{s[:500]}`" for s in d.suspects],
            "",
            "  ```",
            *[f"  {line}" for line in d.log_tail.splitlines()[-30:]],
            "  ```",
        ]
    return L + [""]


def kill_section(r: KillResult) -> list[str]:
    restart = Summary.of(r.restart_seconds)
    L = [
        "## 2. kill -9 under load",
        "",
        f"{r.rounds} rounds in {r.seconds:.0f} s on one `--data-dir`: 4 clients send "
        "pre-signed transfers (one dev account each, keep-alive, one at a time); the node "
        "gets SIGKILL 0.2–1.5 s into the round, is restarted on the same directory, and "
        "every hash it answered that round must have a receipt (3 s grace in all). At the "
        "end every hash of every round is checked again.",
        "",
        "| | |",
        "|---|---:|",
        f"| kill -9s | {r.kills} |",
        f"| hashes answered | {r.answered:,} |",
        f"| hashes lost (unknown after restart) | **{len(r.lost_hashes)}** |",
        f"| receipts lost (hash known, no receipt) | **{len(r.lost_receipts)}** |",
        f"| missing at the final check of all rounds | **{r.final_lost}** |",
        f"| tracebacks in the nodes' logs | **{len(r.tracebacks)}** |",
        f"| restart to first answer, s (median, p10 – p90) | {fmt(restart.median)} "
        f"({fmt(restart.p10)} – {fmt(restart.p90)}) |",
        "",
    ]
    L += [f"* lost hash: `{h}`" for h in r.lost_hashes[:5]]
    L += [f"* lost receipt: `{h}`" for h in r.lost_receipts[:5]]
    for tb in r.tracebacks[:3]:
        L += ["* traceback:", "", "  ```", *[f"  {x}" for x in tb.splitlines()[-20:]], "  ```"]
    return L + [""]


def _idle_line(label: str, idle: IdleHolder) -> str:
    samples = ", ".join(map(str, idle.samples[:10])) + (" …" if len(idle.samples) > 10 else "")
    return (
        f"* idle connections ({label}): {idle.count} held, never sending a byte; "
        f"{idle.opened:,} opened in all, {idle.closed_by_node:,} closed by the node and "
        f"reopened, {idle.open_failures} connects failed. Still open at each pass of the "
        f"keeper (≥ 1 s apart): {samples or 'no pass'}."
    )


def _looper_line(label: str, loop: Looper) -> str:
    answers = "; ".join(f"{n}× {a}" for a, n in Counter(loop.answers).most_common())
    return (
        f"* looping `eth_call` ({label}; client timeout {CALL_TIMEOUT:.0f} s): "
        f"{len(loop.answers)} answered ({answers or 'none'}), {loop.timeouts} client "
        f"timeouts, {loop.dropped} connections refused or closed; answered in "
        f"{fmt(Summary.of(loop.durations).median * 1000, 0)} ms median."
    )


def _recovery_text(rec: Recovery) -> str:
    if rec.seconds is not None:
        return f"the node answered `eth_blockNumber` again after {rec.seconds:.1f} s."
    state = "its process still running" if rec.running else "**its process had exited**"
    return f"**no answer to `eth_blockNumber` within {rec.limit:.0f} s**, {state}."


def probe_section(r: ProbeResult, timeout: float, interval: float, target_ok: bool) -> list[str]:
    L = [
        "## 3. `eth_blockNumber` under a looping `eth_call` and 1,000 idle connections",
        "",
        f"A probe every {interval * 1000:.0f} ms, each on a fresh connection in its own "
        f"thread (so a slow answer does not delay the next probe); a probe unanswered after "
        f"{timeout:.0f} s failed and counts as slower than any answer. Latencies in ms. "
        "The loads run alone and then together (the last row is the done-when's); the "
        "looping call goes to a contract whose code is `JUMPDEST PUSH1 0 JUMP` "
        "(anvil_setCode), with no gas limit of its own.",
        "",
        "| load held | probes | median | p99 | max | p10 – p90 of answered | failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[probe_row(phase.label, phase.probes, timeout) for phase in r.phases],
        "",
        f"**Done-when (p99 ≤ {P99_TARGET:.0f} s under both loads): "
        f"{'met' if target_ok else 'NOT met'}.**",
        "",
        f"* one looping `eth_call` alone on the idle node: {r.one_call[1]}"
        + ("." if math.isnan(r.one_call[0]) else f" after {r.one_call[0]:.1f} s."),
        f"* descriptors: soft limit {r.fd_limit[0]} → {r.fd_limit[1]}; the node runs with "
        "its default `--max-connections` (256). Its documented policy (`ogkit node --help`): "
        "at the cap a new connection replaces the longest idle one, or gets HTTP 503 "
        "(JSON-RPC -32005) while every open one is answering a request; one that sends no "
        "request within 10 s is closed. So of the 1,000 held, at most 256 are open at the "
        "node at once, and the keeper's reconnects keep evicting each other.",
    ]
    for phase in r.phases:
        if phase.idle is not None:
            L.append(_idle_line(phase.label.strip("*"), phase.idle))
        if phase.looper is not None:
            L.append(_looper_line(phase.label.strip("*"), phase.looper))
    for phase in r.phases:
        errors = Counter(phase.probes.errors).most_common()
        if errors:
            listed = ", ".join(f"{n}× {e}" for e, n in errors)
            L.append(f"* failed probes ({phase.label.strip('*')}): {listed}.")
    L += [f"* after the loads stopped: {_recovery_text(r.recovery)}"]
    if r.recovery.log_tail:
        L += ["", "  ```", *[f"  {x}" for x in r.recovery.log_tail.splitlines()[-30:]], "  ```"]
    return L + [""]
