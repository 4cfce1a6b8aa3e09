"""Run by .venv-sdk's Python (OpenGradient's SDK, `opengradient` 1.1.4), not by the suite's:

    .venv-sdk/bin/python tests/support/sdk_scripts/llm_gateway.py registry RPC_URL KEY MODEL
    .venv-sdk/bin/python tests/support/sdk_scripts/llm_gateway.py url GATEWAY_URL KEY MODEL

`og.LLM(private_key, rpc_url=…)` exactly as a user writes it, with only the RPC URL changed
(registry address, TLS pinning and everything else are the SDK's defaults), or
`og.LLM.from_url`. It runs a chat, a streamed chat and a completion and prints one JSON line
with what the SDK returned. In `registry` mode it then checks the signatures with the SDK's
own verifier (`tee_verify.verify_response`) against the signing key the registry holds,
requesting over the SDK's own pinned TLS context, and prints a second line with the verdicts.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
import opengradient as og
from opengradient.client import tee_verify
from opengradient.client.tee_registry import TEERegistry, build_ssl_context_from_der

MESSAGES = [{"role": "user", "content": "Hello!"}]
PROMPT = "The quick brown fox"


async def run_sdk(llm: og.LLM, model: str) -> dict:
    chat = await llm.chat(model=model, messages=MESSAGES, max_tokens=40)
    pieces, final = [], None
    stream = await llm.chat(model=model, messages=MESSAGES, max_tokens=40, stream=True)
    async for chunk in stream:
        if chunk.is_final:
            final = chunk
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
    completion = await llm.completion(model=model, prompt=PROMPT, max_tokens=40)
    return {
        "chat": chat.chat_output,
        "chat_finish": chat.finish_reason,
        "chat_signature": chat.tee_signature,
        "chat_timestamp": chat.tee_timestamp,
        "tee_id": chat.tee_id,
        "tee_endpoint": chat.tee_endpoint,
        "stream_text": "".join(pieces),
        "stream_final_signature": final.tee_signature if final else None,
        "stream_chunks": len(pieces),
        "completion": completion.completion_output,
        "completion_signature": completion.tee_signature,
    }


def verify(rpc_url: str, model: str) -> dict:
    """The SDK's verifier, over responses fetched through the SDK's pinned TLS context."""
    registry = TEERegistry(
        rpc_url=rpc_url, registry_address=og.client.llm.DEFAULT_TEE_REGISTRY_ADDRESS
    )
    tee = registry.get_llm_tee()
    pem = tee_verify.pem_from_der(tee.signing_public_key_der)
    body = {
        "model": model.split("/")[1],
        "messages": MESSAGES,
        "max_tokens": 40,
        "temperature": 0.0,
    }
    _wire, canonical = tee_verify.build_inner_request(body)
    with httpx.Client(verify=build_ssl_context_from_der(tee.tls_cert_der), timeout=60) as client:
        reply = client.post(tee.endpoint + "/v1/chat/completions", json=body).json()
        verdicts = {"tee_id": tee.tee_id, "endpoint": tee.endpoint}
        content = tee_verify.response_content_for_hash(reply)
        proof = tee_verify.verify_response(
            canonical_request=canonical,
            response_body=reply,
            response_content=content,
            signing_key_pem=pem,
            expected_tee_id=tee.tee_id,
        )
        verdicts["chat"] = {"verified": True, "request_hash": proof.request_hash}
        try:
            tee_verify.verify_response(
                canonical_request=canonical,
                response_body=reply,
                response_content=content + " (tampered)",
                signing_key_pem=pem,
            )
            verdicts["tampered"] = "accepted"
        except tee_verify.VerificationError as exc:
            verdicts["tampered"] = str(exc).split(":")[0]
        verdicts["stream"] = _verify_stream(client, tee.endpoint, body, canonical, pem)
    return verdicts


def _verify_stream(client: httpx.Client, endpoint: str, body: dict, canonical: dict, pem: str):
    text, final = "", None
    with client.stream(
        "POST", endpoint + "/v1/chat/completions", json={**body, "stream": True}
    ) as r:
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if data["choices"][0]["finish_reason"] is not None:
                final = data
            text += data["choices"][0]["delta"].get("content") or ""
    tee_verify.verify_response(
        canonical_request=canonical, response_body=final, response_content=text, signing_key_pem=pem
    )
    return {"verified": True, "text": text}


def main() -> None:
    mode, target, private_key, model = sys.argv[1:5]
    if mode == "registry":
        llm = og.LLM(private_key=private_key, rpc_url=target)
    else:
        llm = og.LLM.from_url(private_key=private_key, llm_server_url=target)
    print(json.dumps(asyncio.run(run_sdk(llm, model))), flush=True)
    if mode == "registry":
        print(json.dumps(verify(target, model)), flush=True)


if __name__ == "__main__":
    main()
