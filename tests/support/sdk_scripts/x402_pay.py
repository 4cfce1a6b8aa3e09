"""Run by .venv-sdk's Python (OpenGradient's SDK, `opengradient` 1.1.4, og-x402 0.0.2.dev2):

    BASE_MAINNET_RPC=PAYMENT_RPC_URL .venv-sdk/bin/python tests/support/sdk_scripts/x402_pay.py \
        KEY RESOURCE_URL OFFERS_JSON

Pays as the SDK's LLM client does, with only the payment chain's URL changed: first
`ensure_opg_approval` (the SDK's own Permit2 approval of OPG, a transaction on that chain), then,
for each x402 offer in OFFERS_JSON, the SDK's x402 client answers a 402 carrying that offer.
Prints one JSON object: the approval's result and {scheme: PAYMENT-SIGNATURE header}.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys

from eth_account import Account
from opengradient.client.llm import LLM
from opengradient.client.opg_token import ensure_opg_approval
from x402.http.x402_http_client import x402HTTPClient


def main() -> None:
    key, resource, offers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    approval = ensure_opg_approval(Account.from_key(key), min_allowance=1.0, approve_amount=10.0)
    headers = {}
    for offer in offers:
        required = {
            "x402Version": 2,
            "error": "payment required",
            "resource": {"url": resource, "description": "chat", "mimeType": "application/json"},
            "accepts": [offer],
        }
        encoded = base64.b64encode(json.dumps(required).encode()).decode()
        client = LLM._build_x402_client(key)
        http = x402HTTPClient(client)
        request = http.get_payment_required_response(
            lambda name, value=encoded: value if name.lower() == "payment-required" else None, None
        )
        payload = asyncio.run(client.create_payment_payload(request))
        headers[offer["scheme"]] = http.encode_payment_signature_header(payload)[
            "PAYMENT-SIGNATURE"
        ]
    print(
        json.dumps(
            {
                "approval": {
                    "before": str(approval.allowance_before),
                    "after": str(approval.allowance_after),
                    "tx": approval.tx_hash,
                },
                "headers": headers,
            }
        )
    )


if __name__ == "__main__":
    main()
