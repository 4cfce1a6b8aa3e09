"""Latency of a paid gateway chat vs the same chat unpaid vs the LLM engine directly.

    .venv/bin/python bench/x402_latency.py [CALLS] [TOKEN_MS]

Starts `ogkit node --payments` (a subprocess), then in this process two HTTPS gateways over
one inference node (the example store): FreeGate and X402Gate (exact, EIP-3009 signed by hand
before the timed call: what is timed is the gateway's work, not the client's signing). Each
chat goes over one kept HTTPS connection. TOKEN_MS > 0 paces the tiny LM's tokens (a sleep
per token, in every variant, the engine's too), to stand for a model of realistic speed: the
tiny LM answers in about a millisecond, less than any HTTPS round trip. Prints medians (ms).
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


class PacedModels(GatewayModels):
    """The tiny LM, each token after `token_ms` (a bigger model's pace)."""

    token_ms = 0.0

    def start(self, spec, request, seconds):
        generation = super().start(spec, request, seconds)
        inner = generation._pieces

        def paced():
            for piece in inner:
                time.sleep(self.token_ms / 1000)
                yield piece

        generation._pieces = paced()
        return generation


def connect(server: GatewayServer) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    host, port = server.server_address[:2]
    return http.client.HTTPSConnection(host, port, context=context, timeout=60)


def post(conn, headers: dict | None = None) -> tuple[int, dict]:
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


def servers(models: GatewayModels, node: InferenceNode, pay_url: str) -> dict:
    signer = ResponseSigner(node.enclave_slot, node.book)

    def gate(deferred: bool) -> X402Gate:
        counter = prompt_counter(models)
        return X402Gate(
            Facilitator(pay_url), PAY_TO, counter, schemes=("exact",), deferred=deferred
        )

    made = {
        "gateway_free": None,
        "gateway_paid_exact": gate(False),
        "gateway_paid_exact_settled_after": gate(True),
    }
    return {
        name: GatewayServer(("127.0.0.1", 0), models, signer, gate=g).start()
        for name, g in made.items()
    }


def measure(name: str, server: GatewayServer, payer: Payer | None, calls: int) -> list[float]:
    """Medians of `calls` chats over one kept connection, opened just before (the server
    drops a connection idle for 10 s); payments signed beforehand, untimed."""
    headers = [None] * (calls + 1)
    if payer is not None:
        setup = connect(server)
        headers = [{"PAYMENT-SIGNATURE": exact_header(server, setup, payer)} for _ in headers]
        setup.close()
    conn = connect(server)
    out = []
    for header in headers:
        start = time.perf_counter()
        status, body = post(conn, header)
        out.append((time.perf_counter() - start) * 1000)
        assert status == 200, body
        if name.endswith("settled_after"):
            time.sleep(0.15)  # untimed: its settlement runs, as between a user's calls
    conn.close()
    return out[1:]


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    node = InferenceNode(None, llm_http=None)
    models = PacedModels(node.llm_engine)
    models.token_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    pay = NodeProcess(Path("/tmp"), "--payments").start()
    try:
        request = parse_request("chat", dict(BODY), None, GatewayLimits())
        spec = models.resolve("tiny-llm")

        def direct() -> None:
            for _ in models.start(spec, request, 30):
                pass

        results = {"engine_direct": timed(direct, calls)}
        payer = Payer(Web3(Web3.HTTPProvider(pay.url)), DEV_KEYS[1])
        running = servers(models, node, pay.url)
        for name, server in running.items():
            results[name] = measure(name, server, None if name == "gateway_free" else payer, calls)
            server.stop()
        print(json.dumps(summary(results, calls, models.token_ms)))
    finally:
        pay.stop()


def summary(results: dict, calls: int, token_ms: float) -> dict:
    medians = {k: round(statistics.median(v), 1) for k, v in results.items()}
    direct = medians["engine_direct"]
    for name in list(medians)[1:]:
        medians[f"{name}_over_direct"] = round(medians[name] / direct, 3)
        medians[f"{name}_minus_direct"] = round(medians[name] - direct, 1)
    return {**medians, "calls": calls, "token_ms": token_ms}


if __name__ == "__main__":
    main()
