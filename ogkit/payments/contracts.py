"""The payment chain's contracts: fixed addresses, ABIs and the OPG token's EIP-712 domain.

Addresses are those OpenGradient's SDK and the x402 libraries use on Base, so a client made for
Base pays on the local chain unchanged: OPG at the SDK's address, Permit2 and the x402 `upto`
proxy at their canonical CREATE2 addresses, Multicall3 at its own.
"""

from __future__ import annotations

from eth_utils import keccak, to_canonical_address

from ogkit.contracts import load

PAYMENT_CHAIN_ID = 8453
"""Base mainnet's: SDK 1.1.4 registers its x402 schemes for eip155:8453 only."""
NETWORK = f"eip155:{PAYMENT_CHAIN_ID}"

OPG_ADDRESS = "0xFbC2051AE2265686a469421b2C5A2D5462FbF5eB"
PERMIT2_ADDRESS = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
UPTO_PROXY_ADDRESS = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"
MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"

OPG_DECIMALS = 18
OPG_DOMAIN_NAME = "OpenGradient"
OPG_DOMAIN_VERSION = "1"
"""The token's EIP-712 domain {name, version}: what an x402 offer's `extra` must name."""

FACILITATOR_KEY = keccak(text="ogkit dev x402 facilitator")
"""A public, DEV-ONLY key: the local facilitator's account (funded with ETH at genesis), which
sends the settlement transactions. Not a test account, so its nonces never race a user's."""

TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
AUTHORIZATION_USED_TOPIC = keccak(text="AuthorizationUsed(address,bytes32)")


def canonical(address: str) -> bytes:
    return to_canonical_address(address)


def opg_abi() -> list[dict]:
    return load("OPGToken").abi


def upto_proxy_abi() -> list[dict]:
    return load("X402UptoPermit2Proxy").abi


def permit2_abi() -> list[dict]:
    return load("Permit2").abi


def facilitator_address() -> str:
    from eth_account import Account

    return Account.from_key(FACILITATOR_KEY).address
