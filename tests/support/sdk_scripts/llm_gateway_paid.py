"""Run by .venv-sdk's Python (OpenGradient's SDK, `opengradient` 1.1.4, og-x402 0.0.2.dev2):

    BASE_MAINNET_RPC=PAYMENT_RPC .venv-sdk/bin/python llm_gateway_paid.py registry AI_RPC KEY MODEL
    BASE_MAINNET_RPC=PAYMENT_RPC .venv-sdk/bin/python llm_gateway_paid.py url GATEWAY_URL KEY MODEL

OpenGradient's LLM client exactly as a user writes it against a paid gateway, with only the URLs
changed: the payment chain's (`BASE_MAINNET_RPC`, read by the SDK at import) and the AI chain's
(`rpc_url`) or the gateway's (`LLM.from_url`). `ensure_opg_approval` first (the SDK's own Permit2
approval of OPG, which `upto` needs), then a chat, a streamed chat and a completion, each paid by
the SDK's x402 client on the gateway's 402. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys

import opengradient as og

MESSAGES = [{"role": "user", "content": "Hello!"}]
PROMPT = "The quick brown fox"


async def run(llm: og.LLM, model: str) -> dict:
    chat = await llm.chat(model=model, messages=MESSAGES, max_tokens=40)
    pieces = []
    stream = await llm.chat(model=model, messages=MESSAGES, max_tokens=40, stream=True)
    async for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
    completion = await llm.completion(model=model, prompt=PROMPT, max_tokens=40)
    return {
        "chat": chat.chat_output,
        "chat_signature": chat.tee_signature,
        "stream_text": "".join(pieces),
        "completion": completion.completion_output,
        "completion_signature": completion.tee_signature,
        "tee_endpoint": chat.tee_endpoint,
    }


def main() -> None:
    mode, target, private_key, model = sys.argv[1:5]
    if mode == "registry":
        llm = og.LLM(private_key=private_key, rpc_url=target)
    else:
        llm = og.LLM.from_url(private_key=private_key, llm_server_url=target)
    approval = llm.ensure_opg_approval(min_allowance=1.0, approve_amount=10.0)
    answers = asyncio.run(run(llm, model))
    answers["approval_tx"] = approval.tx_hash
    print(json.dumps(answers), flush=True)


if __name__ == "__main__":
    main()
