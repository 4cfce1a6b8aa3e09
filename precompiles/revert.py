"""Revert payloads in the one format every client decodes: `Error(string)`."""

from eth_abi import encode

ERROR_SELECTOR = bytes.fromhex("08c379a0")


class PrecompileRevert(Exception):  # noqa: N818 - it is a revert, not an error class family
    """Raised inside a precompile to revert with a readable reason.

    The precompile catches it and turns it into `Error(reason)` revert data; it never leaves
    the `precompiles` package.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def error_data(reason: str) -> bytes:
    """ABI-encode `Error(reason)` so eth-tester, web3, Ape and Solidity all decode it."""
    return ERROR_SELECTOR + encode(["string"], [reason])
