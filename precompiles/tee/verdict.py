"""How a TEE check fails: `Invalid` with a reason, and the size caps og-evm applies first.

After the arguments decode, 0x900 never reverts: every failure below answers `false` (and a
zero hash), with the reason kept for off-chain callers and traces.
"""

from __future__ import annotations

# Size caps (og-evm): anything over a cap is invalid, not an error.
MAX_ATTESTATION_BYTES = 16 * 1024
MAX_CERTIFICATE_BYTES = 8 * 1024  # the TLS certificate and the root certificate PEM
MAX_PUBLIC_KEY_BYTES = 8 * 1024
MAX_SIGNATURE_BYTES = 1024
ZERO_HASH = b"\x00" * 32
"""The `pcrHash` of an invalid document."""


class Invalid(Exception):  # noqa: N818 - a verdict, not an error family
    """A validation failure: the verifier answers false with this reason."""


def check_size(name: str, value: bytes, limit: int) -> None:
    """Invalid if `value` is over `limit` bytes."""
    if len(value) > limit:
        raise Invalid(f"{name} of {len(value)} bytes exceeds {limit}")
