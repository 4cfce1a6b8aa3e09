"""Latency of a paid gateway chat vs the same chat unpaid vs the LLM engine directly.

    .venv/bin/python bench/x402_latency.py [CALLS]

Starts `ogkit node --payments` (a subprocess), then in this process two HTTPS gateways over
one inference node (the example store): FreeGate and X402Gate (exact, EIP-3009 signed by hand
before the timed call: what is timed is the gateway's work, not the client's signing). Each
chat goes over one kept HTTPS connection. Prints medians (ms) as JSON.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "support")]

from node_support import DEV_KEYS, NodeProcess  # noqa: E402
from payment_support import PAY_TO, Payer  # noqa: E402
from web3 import Web3  # noqa: E402

from ogkit.gateway import GatewayModels, GatewayServer, ResponseSigner  # noqa: E402
from ogkit.gateway.requests import GatewayLimits, parse_request  # noqa: E402
from ogkit.gateway.x402_gate import X402Gate, prompt_counter  # noqa: E402
from ogkit.inference.node import InferenceNode  # noqa: E402
from ogkit.payments.facilitator import Facilitator  # noqa: E402

BODY = {"model": "tiny-llm", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 40}
CHAT = "/v1/chat/completions"


def timed(call, n: int) -> list[float]:
    call()  # warm
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def timed_each(call, n: int) -> list[float]:
    """Like `timed`, for calls that time themselves (their ms) and pause untimed after."""
    return [call() for _ in range(n + 1)][1:]


def connect(server: GatewayServer) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    host, port = server.server_address[:2]
    return http.client.HTTPSConnection(host, port, context=context, timeout=60)


def post(conn, headers=None) -> tuple[int, dict]:
    conn.request(
        "POST", CHAT, json.dumps(BODY), {"Content-Type": "application/json", **(headers or {})}
    )
    reply = conn.getresponse()
    return reply.status, json.loads(reply.read())


def exact_header(server, conn, payer: Payer) -> str:
    conn.request("POST", CHAT, json.dumps(BODY), {"Content-Type": "application/json"})
    reply = conn.getresponse()
    reply.read()
    required = json.loads(base64.b64decode(reply.headers["PAYMENT-REQUIRED"]))
    (offer,) = [o for o in required["accepts"] if o["scheme"] == "exact"]
    message, signature = payer.authorization(to=offer["payTo"], value=int(offer["amount"]))
    auth = {k: str(v) for k, v in message.items() if k != "nonce"}
    auth["nonce"] = "0x" + message["nonce"].hex()
    payload = {
        "x402Version": 2,
        "resource": required["resource"],
        "accepted": offer,
        "payload": {"signature": "0x" + signature.hex(), "authorization": auth},
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    node = InferenceNode(None, llm_http=None)
    models = GatewayModels(node.llm_engine)
    pay = NodeProcess(Path("/tmp"), "--payments").start()
    try:
        request = parse_request("chat", dict(BODY), None, GatewayLimits())
        spec = models.resolve("tiny-llm")

        def direct() -> None:
            for _ in models.start(spec, request, 30):
                pass

        signer = ResponseSigner(node.enclave_slot, node.book)
        free = GatewayServer(("127.0.0.1", 0), models, signer).start()
        gate = X402Gate(Facilitator(pay.url), PAY_TO, prompt_counter(models), schemes=("exact",))
        paid = GatewayServer(("127.0.0.1", 0), models, signer, gate=gate).start()
        later = X402Gate(
            Facilitator(pay.url), PAY_TO, prompt_counter(models), schemes=("exact",), deferred=True
        )
        deferred = GatewayServer(("127.0.0.1", 0), models, signer, gate=later).start()
        free_conn, paid_conn, deferred_conn = connect(free), connect(paid), connect(deferred)
        payer = Payer(Web3(Web3.HTTPProvider(pay.url)), DEV_KEYS[1])
        headers = [exact_header(paid, paid_conn, payer) for _ in range(calls + 1)]
        later_headers = [exact_header(deferred, deferred_conn, payer) for _ in range(calls + 1)]
        results = {
            "engine_direct": timed(direct, calls),
            "gateway_free": timed(lambda: post(free_conn), calls),
        }
        pending = iter(headers)

        def paid_call() -> None:
            status, body = post(paid_conn, {"PAYMENT-SIGNATURE": next(pending)})
            assert status == 200, body

        results["gateway_paid_exact"] = timed(paid_call, calls)
        pending_later = iter(later_headers)

        def deferred_call() -> float:
            header = next(pending_later)
            start = time.perf_counter()
            status, body = post(deferred_conn, {"PAYMENT-SIGNATURE": header})
            elapsed = (time.perf_counter() - start) * 1000
            assert status == 200, body
            time.sleep(0.15)  # untimed: its settlement runs, as between a user's calls
            return elapsed

        results["gateway_paid_exact_settled_after"] = timed_each(deferred_call, calls)
        medians = {k: round(statistics.median(v), 1) for k, v in results.items()}
        for name in ("gateway_free", "gateway_paid_exact", "gateway_paid_exact_settled_after"):
            medians[f"{name}_minus_direct"] = round(medians[name] - medians["engine_direct"], 1)
        medians["calls"] = calls
        print(json.dumps(medians))
        for server in (free, paid, deferred):
            server.stop()
    finally:
        pay.stop()


if __name__ == "__main__":
    main()
