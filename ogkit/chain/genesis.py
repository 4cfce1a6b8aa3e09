"""Dev-chain defaults, matching Ape's local test network so its accounts just work."""

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_HD_PATH = "m/44'/60'/0'/0"
DEFAULT_ACCOUNTS = 10
DEFAULT_BALANCE = 10_000 * 10**18
LOCAL_CHAIN_ID = 1337

SYSTEM_BALANCE = 1_000_000 * 10**18
SETTLEMENT_RELAYER_KEY = bytes.fromhex(
    # keccak256("ogkit dev settlement relayer"): DEV ONLY, anyone can derive it
    "28f82b358f77957b9fe6aeb8fc1b3ab87bd621556638a686867822abc58649bc"
)
"""The full-node role's account on local chains: it deploys the verification contracts and
sends settlements. Not one of the test accounts, so its nonces never race a user's."""


def system_accounts() -> dict[bytes, dict]:
    """Genesis entries for the chain's own accounts, in eth-tester's genesis-state shape."""
    from eth_keys import keys

    relayer = keys.PrivateKey(SETTLEMENT_RELAYER_KEY).public_key.to_canonical_address()
    return {relayer: {"balance": SYSTEM_BALANCE, "nonce": 0, "code": b"", "storage": {}}}
