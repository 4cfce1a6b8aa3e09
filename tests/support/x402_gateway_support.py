"""Helpers for the x402 gateway tests (no tests here): a paying client built by hand (plain HTTP,
EIP-3009 signed with eth_account), the payment chain's ledger, and PAYMENT-* header codecs."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gateway_support import ROOT, call
from payment_support import Payer

CHAT = "/v1/chat/completions"
HELLO = [{"role": "user", "content": "Hello!"}]
HELLO_REPLY = "Hello! How can I help you today?"


def decode(header: str) -> dict:
    return json.loads(base64.b64decode(header))


def encode(data: dict) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def exact_payload(
    payer: Payer, offer: dict, resource: str, *, value: int | None = None, **auth: Any
) -> dict:
    """An x402 v2 exact payload for `offer`, its EIP-3009 authorization signed by hand."""
    amount = int(offer["amount"]) if value is None else value
    message, signature = payer.authorization(value=amount, **{"to": offer["payTo"], **auth})
    authorization = {k: str(v) for k, v in message.items() if k != "nonce"}
    authorization["nonce"] = "0x" + message["nonce"].hex()
    return {
        "x402Version": 2,
        "resource": {"url": resource, "description": "", "mimeType": "application/json"},
        "accepted": offer,
        "payload": {"signature": "0x" + signature.hex(), "authorization": authorization},
    }


def offers_for(server: Any, path: str, body: dict) -> tuple[str, list[dict]]:
    """Ask unpaid: the 402's resource URL and offers."""
    status, headers, _ = call(server, path, body)
    assert status == 402
    required = decode(headers["payment-required"])
    return required["resource"]["url"], required["accepts"]


def by_scheme(offers: list[dict], scheme: str) -> dict:
    (offer,) = [o for o in offers if o["scheme"] == scheme]
    return offer


class GatewayProcess:
    """`ogkit gateway ARGS` in a subprocess of its own session, up once it printed its URL."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.log_path = workdir / f"gateway-{time.monotonic_ns()}.log"
        command = [str(Path(sys.executable).with_name("ogkit")), "gateway", *args]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 90
        while b"Listening on " not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ogkit gateway did not start:\n{self.log()}")
            time.sleep(0.1)
        self.url = self.log().split("Listening on ")[1].split()[0]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
