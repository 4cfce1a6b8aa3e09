"""The price feed's signing key: the public dev key unless one is given, never on a command line.

Like Foundry's tools, a key is read from a file (`--price-feed-key FILE`: one hex private
key, 0x optional, surrounding whitespace ignored) or from the environment
(`OGKIT_PRICE_FEED_KEY`, the hex key itself), so it shows neither in `ps` nor in shell history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ogkit.pricefeed.node import DEV_SIGNING_KEY

PRICE_FEED_KEY_ENV = "OGKIT_PRICE_FEED_KEY"
_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class PriceFeedKeyError(ValueError):
    """A price-feed key that cannot be used; the message never contains the key."""


def parse_private_key(text: str, where: str) -> bytes:
    """32 bytes from hex text (0x optional), a valid secp256k1 scalar."""
    digits = text.strip().removeprefix("0x").removeprefix("0X")
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        raise PriceFeedKeyError(f"{where} is not a hex private key") from None
    if len(key) != 32:
        raise PriceFeedKeyError(f"{where}: a private key is 32 bytes, not {len(key)}")
    if not 0 < int.from_bytes(key, "big") < _SECP256K1_ORDER:
        raise PriceFeedKeyError(f"{where} is not a valid secp256k1 private key")
    return key


def load_price_feed_key(
    path: Path | str | None, environ: Mapping[str, str] | None = None
) -> bytes | None:
    """The key in `path`, else in `$OGKIT_PRICE_FEED_KEY`, else None (the dev key)."""
    if path is not None:
        try:
            text = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise PriceFeedKeyError(f"cannot read price-feed key file {path}: {exc}") from None
        return parse_private_key(text, f"price-feed key file {path}")
    value = (os.environ if environ is None else environ).get(PRICE_FEED_KEY_ENV)
    if value:
        return parse_private_key(value, f"${PRICE_FEED_KEY_ENV}")
    return None


def is_dev_key(key: bytes | None) -> bool:
    return key is None or key == DEV_SIGNING_KEY
