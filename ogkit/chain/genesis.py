"""Dev-chain defaults, matching Ape's local test network so its accounts just work."""

DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_HD_PATH = "m/44'/60'/0'/0"
DEFAULT_ACCOUNTS = 10
DEFAULT_BALANCE = 10_000 * 10**18
LOCAL_CHAIN_ID = 1337
