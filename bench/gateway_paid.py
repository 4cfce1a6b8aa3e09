"""The paying side of `bench/gateway.py --paid`: x402 `exact` payments signed here (EIP-3009,
eth_account), one fresh authorization per request, the offer asked once per request body
(an unpaid request: its 402). Signing happens before a request's clock starts."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from ogkit.payments.contracts import OPG_ADDRESS, PAYMENT_CHAIN_ID

PAYER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
"""The payment chain's dev account 1 (a public Hardhat key; OPG at genesis)."""
_FIELDS = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]
_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class PaidHeaders:
    """`headers(body)`: a `PAYMENT-SIGNATURE` header paying the gateway's exact offer."""

    def __init__(self, ask_offer: Any) -> None:
        self.ask_offer = ask_offer  # body -> (resource url, offers)
        self.account = Account.from_key(PAYER_KEY)
        self.offers: dict[str, tuple[str, dict]] = {}

    def __call__(self, body: dict) -> dict[str, str]:
        key = json.dumps(body, sort_keys=True)
        if key not in self.offers:
            resource, offers = self.ask_offer(body)
            (offer,) = [o for o in offers if o["scheme"] == "exact"]
            self.offers[key] = (resource, offer)
        resource, offer = self.offers[key]
        return {
            "PAYMENT-SIGNATURE": base64.b64encode(
                json.dumps(self._payload(resource, offer)).encode()
            ).decode()
        }

    def _payload(self, resource: str, offer: dict) -> dict:
        now = int(time.time())
        message = {
            "from": self.account.address,
            "to": offer["payTo"],
            "value": int(offer["amount"]),
            "validAfter": now - 600,
            "validBefore": now + 300,
            "nonce": os.urandom(32),
        }
        typed = {
            "types": {"EIP712Domain": _DOMAIN_FIELDS, "TransferWithAuthorization": _FIELDS},
            "primaryType": "TransferWithAuthorization",
            "domain": {
                "name": "OpenGradient",
                "version": "1",
                "chainId": PAYMENT_CHAIN_ID,
                "verifyingContract": OPG_ADDRESS,
            },
            "message": message,
        }
        signature = self.account.sign_message(encode_typed_data(full_message=typed)).signature
        authorization = {k: str(v) for k, v in message.items() if k != "nonce"}
        authorization["nonce"] = "0x" + message["nonce"].hex()
        return {
            "x402Version": 2,
            "resource": {"url": resource, "description": "", "mimeType": "application/json"},
            "accepted": offer,
            "payload": {"signature": "0x" + bytes(signature).hex(), "authorization": authorization},
        }
