"""Helpers for the payment tests (no tests here): EIP-3009 and Permit2 signatures made by hand
(eth_account's EIP-712), transactions from dev keys, OPG Transfer logs of a receipt."""

from __future__ import annotations

import os
import time
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from ogkit.payments.contracts import (
    OPG_ADDRESS,
    PAYMENT_CHAIN_ID,
    PERMIT2_ADDRESS,
    TRANSFER_TOPIC,
    UPTO_PROXY_ADDRESS,
)

PAY_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
"""Dev account 2: the gateway's address, paid in these tests."""

_3009_FIELDS = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]
_UPTO_TYPES = {
    "PermitWitnessTransferFrom": [
        {"name": "permitted", "type": "TokenPermissions"},
        {"name": "spender", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "witness", "type": "Witness"},
    ],
    "TokenPermissions": [
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
    ],
    "Witness": [
        {"name": "to", "type": "address"},
        {"name": "facilitator", "type": "address"},
        {"name": "validAfter", "type": "uint256"},
    ],
}


class Payer:
    """A dev key on the payment chain: signs authorizations, sends transactions."""

    def __init__(self, w3: Any, key: str) -> None:
        self.w3 = w3
        self.account = Account.from_key(key)
        self.address = self.account.address

    def send(self, call: Any) -> Any:
        """Sign and send `call` (a contract function call); the receipt, reverted or not."""
        tx = call.build_transaction(
            {
                "from": self.address,
                "nonce": self.w3.eth.get_transaction_count(self.address, "pending"),
                "gas": 500_000,
                "gasPrice": self.w3.eth.gas_price,
            }
        )
        signed = self.account.sign_transaction(tx)
        return self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction)
        )

    def authorization(
        self,
        to: str = PAY_TO,
        value: int = 10**15,
        valid_after: int | None = None,
        valid_before: int | None = None,
        nonce: bytes | None = None,
        primary: str = "TransferWithAuthorization",
    ) -> tuple[dict, bytes]:
        """An EIP-3009 authorization by this payer and its 65-byte signature."""
        now = int(time.time())
        message = {
            "from": self.address,
            "to": to,
            "value": value,
            "validAfter": now - 600 if valid_after is None else valid_after,
            "validBefore": now + 300 if valid_before is None else valid_before,
            "nonce": nonce or os.urandom(32),
        }
        typed = {
            "types": {"EIP712Domain": _domain_fields(True), primary: _3009_FIELDS},
            "primaryType": primary,
            "domain": {
                "name": "OpenGradient",
                "version": "1",
                "chainId": PAYMENT_CHAIN_ID,
                "verifyingContract": OPG_ADDRESS,
            },
            "message": message,
        }
        return message, self.sign(typed)

    def upto_permit(
        self, cap: int, facilitator: str, to: str = PAY_TO, deadline: int | None = None
    ) -> tuple[tuple, tuple, bytes]:
        """(permit, witness, signature) for the upto proxy, as x402's upto client signs."""
        now = int(time.time())
        nonce = int.from_bytes(os.urandom(32), "big")
        deadline = now + 300 if deadline is None else deadline
        witness = {"to": to, "facilitator": facilitator, "validAfter": now - 600}
        typed = {
            "types": {"EIP712Domain": _domain_fields(False), **_UPTO_TYPES},
            "primaryType": "PermitWitnessTransferFrom",
            "domain": {
                "name": "Permit2",
                "chainId": PAYMENT_CHAIN_ID,
                "verifyingContract": PERMIT2_ADDRESS,
            },
            "message": {
                "permitted": {"token": OPG_ADDRESS, "amount": cap},
                "spender": UPTO_PROXY_ADDRESS,
                "nonce": nonce,
                "deadline": deadline,
                "witness": witness,
            },
        }
        permit = ((OPG_ADDRESS, cap), nonce, deadline)
        return permit, (to, facilitator, witness["validAfter"]), self.sign(typed)

    def sign(self, typed: dict) -> bytes:
        return bytes(self.account.sign_message(encode_typed_data(full_message=typed)).signature)


def _domain_fields(with_version: bool) -> list[dict]:
    fields = [{"name": "name", "type": "string"}]
    if with_version:
        fields.append({"name": "version", "type": "string"})
    return fields + [
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ]


def opg_transfers(receipt: Any) -> list[tuple[str, str, int]]:
    """(from, to, value) of every OPG Transfer in the receipt."""
    found = []
    for log in receipt["logs"]:
        if (
            log["address"].lower() != OPG_ADDRESS.lower()
            or bytes(log["topics"][0]) != TRANSFER_TOPIC
        ):
            continue
        source = "0x" + bytes(log["topics"][1])[-20:].hex()
        target = "0x" + bytes(log["topics"][2])[-20:].hex()
        found.append((source, target, int.from_bytes(bytes(log["data"]), "big")))
    return found


def vrs(signature: bytes) -> tuple[int, bytes, bytes]:
    return signature[64], signature[:32], signature[32:64]


class Ledger:
    """OPG balances of some addresses, to assert what moved."""

    def __init__(self, opg: Any, *addresses: str) -> None:
        self.opg, self.addresses = opg, addresses
        self.start = self.now()

    def now(self) -> list[int]:
        return [self.opg.functions.balanceOf(a).call() for a in self.addresses]

    def moved(self) -> list[int]:
        return [after - before for after, before in zip(self.now(), self.start, strict=True)]
