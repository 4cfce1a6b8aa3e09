"""The dev accounts' keys: `eth_accounts`, `eth_sign`/`personal_sign`,
`eth_signTypedData_v4`, and which key signs an `eth_sendTransaction` (a dev account's own,
or, for an impersonated account, a stand-in key whose sender is then overridden)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_keys import keys as eth_keys
from eth_utils import keccak

from ogkit.node.rpc.errors import InvalidParams, ServerError


def impersonation_key(address: bytes) -> eth_keys.PrivateKey:
    """Signs an impersonated account's transactions; the sender is then overridden."""
    return eth_keys.PrivateKey(keccak(b"ogkit impersonation key" + address))


class Signer:
    def __init__(self, keys: Any) -> None:
        self.keys = keys
        self.key_by_address = {k.public_key.to_canonical_address(): k for k in keys}
        self.impersonated: set[bytes] = set()

    @property
    def accounts(self) -> list[bytes]:
        return list(self.key_by_address)

    def impersonate(self, address: bytes, on: bool) -> None:
        (self.impersonated.add if on else self.impersonated.discard)(address)

    def sending_key(self, address: bytes) -> tuple[eth_keys.PrivateKey, bool]:
        """(the key that signs `address`'s transactions, whether it is a stand-in)."""
        key = self.key_by_address.get(address)
        if key is not None:
            return key, False
        if address in self.impersonated:
            return impersonation_key(address), True
        raise ServerError(
            f"unknown account 0x{address.hex()}: not a dev account and not "
            "impersonated (anvil_impersonateAccount)"
        )

    def sign_message(self, address: bytes, message: bytes) -> bytes:
        key = self._signing_key(address)
        return bytes(Account.sign_message(encode_defunct(primitive=message), key).signature)

    def sign_typed_data(self, address: bytes, typed: dict[str, Any]) -> bytes:
        key = self._signing_key(address)
        try:
            encoded = encode_typed_data(full_message=typed)
        except Exception as exc:  # noqa: BLE001 - eth-account raises several kinds
            raise InvalidParams(f"invalid typed data: {exc}") from None
        return bytes(Account.sign_message(encoded, key).signature)

    def _signing_key(self, address: bytes) -> bytes:
        key = self.key_by_address.get(address)
        if key is None:
            raise ServerError(f"no key for account 0x{address.hex()}: not a dev account")
        return key.to_bytes()
