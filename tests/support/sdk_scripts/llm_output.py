"""Run by .venv-sdk's Python (OpenGradient's SDK, `opengradient` 1.1.4), not by the suite's:

    .venv-sdk/bin/python tests/support/sdk_scripts/llm_output.py RPC_URL KEY MODEL [paid]

One chat through `og.LLM(private_key, rpc_url=…)` (the gateway found through the TEE
registry, its TLS certificate pinned), printed as one JSON line: the fields of the SDK's
`TextGenerationOutput` a user would keep to verify the answer later. `paid`: the gateway
charges (x402 on the payment chain at `BASE_MAINNET_RPC`), so the SDK's own Permit2 approval
of OPG (`ensure_opg_approval`, which its default `upto` payment needs) comes first.
"""

from __future__ import annotations

import asyncio
import json
import sys

import opengradient as og

MESSAGES = [{"role": "user", "content": "Hello!"}]


async def main(rpc_url: str, key: str, model: str, paid: bool) -> None:
    llm = og.LLM(private_key=key, rpc_url=rpc_url)
    if paid:
        llm.ensure_opg_approval(min_allowance=1.0, approve_amount=10.0)
    out = await llm.chat(model=model, messages=MESSAGES, max_tokens=40, temperature=0.0)
    fields = ("chat_output", "finish_reason", "tee_signature", "tee_timestamp", "tee_id")
    print(json.dumps({name: getattr(out, name) for name in fields}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4], paid=sys.argv[4:5] == ["paid"]))
