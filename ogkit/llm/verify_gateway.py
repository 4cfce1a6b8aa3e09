"""Reads a verifier asks of an `ogkit gateway`: an answer's settlement record (by job id, or
by signature for an answer that names no job) and a fresh attestation. Over HTTPS the peer
must present exactly the TLS certificate the TEE registry holds (as OpenGradient's SDK pins
it); nothing read here is trusted without the on-chain checks that follow it."""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from typing import Any
from urllib.parse import quote, urlsplit


class PinMismatch(OSError):
    """The gateway's TLS certificate is not the one the registry holds."""


class GatewayClient:
    def __init__(self, url: str, pinned_der: bytes | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.pinned_der = pinned_der
        self.timeout = timeout

    def _get(self, path: str) -> tuple[int, bytes]:
        parts = urlsplit(self.url)
        host, port = parts.hostname or "127.0.0.1", parts.port
        if parts.scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # pinned below, to the registry's certificate
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            connection.connect()
            if parts.scheme == "https" and self.pinned_der is not None:
                presented = connection.sock.getpeercert(binary_form=True)  # type: ignore[union-attr]
                if presented != self.pinned_der:
                    raise PinMismatch("its TLS certificate is not the one the TEE registry holds")
            connection.request("GET", path)
            reply = connection.getresponse()
            return reply.status, reply.read()
        finally:
            connection.close()

    def settlement(self, job_id: str) -> dict[str, Any] | None:
        """`GET /v1/settlements/{job}`; None when the gateway has no such job."""
        status, body = self._get(f"/v1/settlements/{job_id}")
        if status == 404:
            return None
        if status != 200:
            raise OSError(f"GET /v1/settlements: HTTP {status}")
        return json.loads(body)

    def settlement_by_signature(self, tee_signature: str) -> dict[str, Any] | None:
        """`GET /v1/settlements?tee_signature=`: the record of the answer that carries this
        signature (what an SDK output keeps instead of a job id); None when there is none."""
        status, body = self._get(f"/v1/settlements?tee_signature={quote(tee_signature, safe='')}")
        if status == 404:
            return None
        if status != 200:
            raise OSError(f"GET /v1/settlements?tee_signature=: HTTP {status}")
        return json.loads(body)

    def attestation(self, nonce: bytes) -> bytes:
        status, body = self._get(f"/enclave/attestation?nonce={nonce.hex()}")
        if status != 200:
            raise OSError(f"GET /enclave/attestation: HTTP {status}")
        return base64.b64decode(body)


def assemble_stream(text: str) -> dict[str, Any]:
    """A streamed answer saved as received (`data: {chunk}` lines) as one chat body: the
    content deltas joined, tool calls and the TEE fields from the final chunk."""
    chunks = []
    for line in text.splitlines():
        if line.startswith("data: ") and line[6:].strip() != "[DONE]":
            chunks.append(json.loads(line[6:]))
    if not chunks:
        raise ValueError("no `data:` chunks in the stream")
    final = chunks[-1]
    content = "".join(
        (c.get("choices") or [{}])[0].get("delta", {}).get("content") or "" for c in chunks
    )
    choice = (final.get("choices") or [{}])[0]
    message = {"role": "assistant", "content": content}
    if choice.get("delta", {}).get("tool_calls"):
        message["tool_calls"] = choice["delta"]["tool_calls"]
    tee = {k: v for k, v in final.items() if k.startswith("tee_")}
    body = {"id": final.get("id"), "object": "chat.completion", "model": final.get("model")}
    choices = [{"index": 0, "message": message, "finish_reason": choice.get("finish_reason")}]
    return {**body, "choices": choices, "usage": final.get("usage"), **tee}
