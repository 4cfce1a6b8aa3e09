"""What `ogkit gateway` costs over the model itself, and how long an answer takes to settle;
writes bench/RESULTS-gateway.md.

    cd <repo> && .venv/bin/python bench/gateway.py [--rounds 30] [--settle-samples 5]

A benchmark, not a test: it measures and reports, it never fails on a timing.

Set-up, as a user runs it: `ogkit node` and `ogkit gateway --rpc` as real processes (the
gateway registers its enclave in the node's genesis TEE registry and settles through the
genesis relay), one HTTPS connection kept open to the gateway (TLS handshake once, as the
SDK's client does). The baseline is the same chat answered by the LLM engine in this process
(`LLMEngine.generate`, its result cache off so the model really runs every time): same model,
same prompt, greedy, the same number of tokens (checked per round).

1. Latency, per round: one signed gateway chat (`POST /v1/chat/completions`, non-streamed)
   and the same chat to the engine, back to back, order alternating between rounds; medians
   with p10 – p90 over rounds, and the ratio gateway/direct taken per round, then summarised.
   Twice: `max_tokens` 8 (the fixed HTTP + signing cost dominates a tiny LM's answer) and
   64 (a realistic answer length).
2. Settlement: for `batch` and `individual` answers, the time from the response's arrival to
   `GET /v1/settlements/{job}` reporting `settled` (polled every 20 ms), with the gateway's
   default `--settle-interval` (2 s: an answer waits for the next pass) and with 0.2 s.
3. `ogkit llm verify` (the Python API) on a settled answer: time of a full offline check.

`--paid`: the gateway runs with `--payments-rpc` (an `ogkit node --payments` process) and
every request pays the gateway's x402 `exact` offer with a fresh EIP-3009 authorization
(bench/gateway_paid.py; signed before the request's clock starts): the gateway verifies it
through its facilitator before generating and settles it after answering.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("OGKIT_MODEL_STORE", str(ROOT / ".ogkit" / "models"))

from gateway_procs import Client, Process, free_port  # noqa: E402
from stats import Summary  # noqa: E402

from ogkit.llm.verify import verify_response  # noqa: E402

OGKIT = ROOT / ".venv" / "bin" / "ogkit"
WORK = HERE / ".work"
MODEL = "tiny-llm"
QUESTION = "Hello! Tell me a story about a small robot."
LONG_PROMPT = "1 2 3 4 5"
"""tiny-llm ends every chat answer after 19 tokens; this completion runs to max_tokens."""


class Direct:
    """The same chat through `LLMEngine.generate` in this process, result cache off."""

    def __init__(self) -> None:
        from ogkit.llm.engine import LLMEngine

        class NoCache:
            def get(self, key: bytes) -> None:
                return None

            def put(self, key: bytes, value: object) -> None:
                pass

        self.engine = LLMEngine(cache=NoCache())  # type: ignore[arg-type]
        self.spec = self.engine.resolve_llm(MODEL)

    def chat(self, max_tokens: int, prompt: str | None = None) -> int:
        from precompiles.inference.llm_types import (
            ChatMessage,
            LLMChatRequest,
            LLMCompletionRequest,
        )

        if prompt is not None:
            completion = LLMCompletionRequest(0, MODEL, prompt, max_tokens, (), 0)
            return self.engine.generate(self.spec, completion, "bench", None).completion_tokens
        request = LLMChatRequest(
            0, MODEL, (ChatMessage("user", QUESTION),), (), "", max_tokens, (), 0
        )
        return self.engine.generate(self.spec, request, "bench", None).completion_tokens


def body(max_tokens: int, question: str = QUESTION) -> dict:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": question}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }


def completion(max_tokens: int) -> dict:
    return {"model": MODEL, "prompt": LONG_PROMPT, "max_tokens": max_tokens, "temperature": 0}


def latency(
    client: Client, direct: Direct, max_tokens: int, rounds: int, headers, long: bool = False
) -> dict:
    request = completion(max_tokens) if long else body(max_tokens)
    prompt = LONG_PROMPT if long else None
    for _ in range(3):  # warm-up: sessions, caches, TLS
        client.chat(request, headers(request))
        direct.chat(max_tokens, prompt)
    gw, dr, ratio, extra, tokens = [], [], [], [], set()
    for r in range(rounds):
        order = ("gw", "direct") if r % 2 == 0 else ("direct", "gw")
        taken = {}
        for which in order:
            paying = headers(request) if which == "gw" else {}  # signed before the clock
            t0 = time.perf_counter()
            if which == "gw":
                answer, _ = client.chat(request, paying)
                n = answer["usage"]["completion_tokens"]
            else:
                n = direct.chat(max_tokens, prompt)
            taken[which] = time.perf_counter() - t0
            tokens.add((which, n))
        gw.append(taken["gw"])
        dr.append(taken["direct"])
        ratio.append(taken["gw"] / taken["direct"])
        extra.append(taken["gw"] - taken["direct"])
    return {
        "kind": "completion" if long else "chat",
        "extra": Summary.of(extra).scaled(1e3),
        "max_tokens": max_tokens,
        "gateway": Summary.of(gw).scaled(1e3),
        "direct": Summary.of(dr).scaled(1e3),
        "ratio": Summary.of(ratio),
        "tokens": sorted(tokens),
    }


def settlement_times(client: Client, kind: str, samples: int, headers) -> Summary:
    out = []
    for i in range(samples):
        # a distinct question each time: the relay refuses a second settlement of the same
        # (request hash, output hash, timestamp), and timestamps are whole seconds
        question = f"{QUESTION} ({kind} {i} {time.time_ns()})"
        asked = body(8, question)
        answer, fields = client.chat(asked, {"X-SETTLEMENT-TYPE": kind, **headers(asked)})
        t0 = time.perf_counter()
        job = fields["x-settlement-job-id"]
        while True:
            status = client.settlement(job)
            if status["status"] != "pending":
                break
            time.sleep(0.02)
        if status["status"] != "settled":
            raise RuntimeError(f"{kind} answer {job}: {status['settlement']}")
        out.append(time.perf_counter() - t0)
        time.sleep(0.37 * (i % 3))  # arrive at different points of the settle interval
    return Summary.of(out)


def verify_time(
    client: Client, rpc: str, gateway_url: str, headers, pay_rpc: str | None
) -> tuple[Summary, bool]:
    from web3 import Web3

    request = body(8)
    answer, fields = client.chat(request, {"X-SETTLEMENT-TYPE": "batch", **headers(request)})
    while client.settlement(fields["x-settlement-job-id"])["status"] == "pending":
        time.sleep(0.05)
    w3 = Web3(Web3.HTTPProvider(rpc))
    times, ok = [], True
    for _ in range(5):
        t0 = time.perf_counter()
        report = verify_response(
            answer,
            w3=w3,
            request=request,
            gateway_url=gateway_url,
            payment_w3=Web3(Web3.HTTPProvider(pay_rpc)) if pay_rpc else None,
        )
        times.append(time.perf_counter() - t0)
        ok = ok and report.ok
    return Summary.of(times).scaled(1e3), ok


def signing_time() -> Summary:
    """The enclave's RSA-2048 PSS signature of one answer, alone: part of the fixed cost."""
    from ogkit.tee.enclave import SimulatedEnclave

    enclave, times = SimulatedEnclave(), []
    for i in range(60):
        t0 = time.perf_counter()
        enclave.sign_result(b"\x01" * 32, b"\x02" * 32, 1_700_000_000 + i)
        times.append(time.perf_counter() - t0)
    return Summary.of(times[10:]).scaled(1e3)


def run_gateway(rpc: str, interval: float, pay_rpc: str | None) -> tuple[Process, int]:
    port = free_port()
    args = ["gateway", "--rpc", rpc, "--port", str(port), "--settle-interval", str(interval)]
    args += ["--payments-rpc", pay_rpc] if pay_rpc else []
    return Process(f"gateway-{interval}", args, f"https://127.0.0.1:{port}/v1/models"), port


NODES: list[Process] = []


def _node(extra: list[str]) -> str:
    """Start `ogkit node EXTRA` on a free port; its RPC URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    NODES.append(
        Process(f"node{''.join(extra)}", ["node", "--port", str(port), *extra], "rpc:" + url)
    )
    return url


def paying(client: Client, paid: bool) -> Any:
    """`headers(body)`: nothing, or a fresh x402 payment of the gateway's exact offer."""
    if not paid:
        return lambda _body: {}
    from gateway_paid import PaidHeaders

    return PaidHeaders(client.ask_offer)


def fmt(s: Summary, unit: str = "ms", digits: int = 1) -> str:
    return f"{s.median:.{digits}f} {unit} ({s.p10:.{digits}f} – {s.p90:.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--settle-samples", type=int, default=5)
    parser.add_argument("--paid", action="store_true", help="Every request pays (x402 exact).")
    args = parser.parse_args()
    rpc, started = _node([]), []
    pay_rpc = _node(["--payments"]) if args.paid else None
    try:
        gateway, port = run_gateway(rpc, 2.0, pay_rpc)
        started.append(gateway)
        client, direct = Client(port), Direct()
        headers = paying(client, args.paid)
        results = [latency(client, direct, n, args.rounds, headers) for n in (8, 64)]
        results += [latency(client, direct, n, args.rounds, headers, True) for n in (64, 256)]
        settle = {
            ("batch", 2.0): settlement_times(client, "batch", args.settle_samples, headers),
            ("individual", 2.0): settlement_times(
                client, "individual", args.settle_samples, headers
            ),
        }
        verified = verify_time(client, rpc, f"https://127.0.0.1:{port}", headers, pay_rpc)
        gateway.stop()
        fast, fast_port = run_gateway(rpc, 0.2, pay_rpc)
        started.append(fast)
        fast_client = Client(fast_port)
        fast_headers = paying(fast_client, args.paid)
        for kind in ("batch", "individual"):
            settle[(kind, 0.2)] = settlement_times(
                fast_client, kind, args.settle_samples, fast_headers
            )
    finally:
        for process in reversed(started + NODES):
            process.stop()
    write(results, settle, verified, signing_time(), args)


def write(results, settle, verified, signing, args) -> None:
    lines = [
        "# `ogkit gateway`"
        + (" (every request paid: x402 exact)" if args.paid else "")
        + ": latency over the model, and time to settlement",
        "",
        f"Generated by `bench/gateway.py` on {dt.date.today()} ({platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work, Python {platform.python_version()}); "
        f"{args.rounds} interleaved rounds per row, {args.settle_samples} answers per "
        "settlement row. Figures: median (p10 – p90). Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.1f} (other sessions' work shares the cores).",
        "",
        "## 1. A signed gateway chat against the same chat to the engine in process",
        "",
        "| request | max_tokens | tokens (gateway, direct) | gateway (HTTPS kept open) "
        "| engine direct | gateway − direct | ratio gateway/direct (per round) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        tokens = ", ".join(f"{w} {n}" for w, n in r["tokens"])
        lines.append(
            f"| {r['kind']} | {r['max_tokens']} | {tokens} | {fmt(r['gateway'])} | "
            f"{fmt(r['direct'])} | {fmt(r['extra'], 'ms', 2)} | {fmt(r['ratio'], '×', 2)} |"
        )
    lines += [
        "",
        f"The enclave's RSA-2048 PSS signature alone: {fmt(signing, 'ms', 2)}. "
        "tiny-llm ends every chat answer after 19 tokens (its end token), so the longer rows "
        f"are completions of {LONG_PROMPT!r}, which run to max_tokens.",
    ]
    lines += [
        "",
        "## 2. From the response to `settled` (`GET /v1/settlements/{job}`)",
        "",
        "| settlement | --settle-interval | response → settled |",
        "|---|---|---|",
    ]
    for (kind, interval), s in settle.items():
        lines.append(f"| {kind} | {interval} s | {fmt(s.scaled(1e3), 'ms', 0)} |")
    summary, ok = verified
    lines += [
        "",
        "## 3. `ogkit llm verify` (Python API) of a settled batch answer",
        "",
        f"{fmt(summary)} per full check (registry, signature, registered and fresh "
        f"attestation, Merkle proof through the relay's `verifyProof`); all passed: {ok}.",
        "",
    ]
    name = "RESULTS-gateway-paid.md" if args.paid else "RESULTS-gateway.md"
    (HERE / name).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
