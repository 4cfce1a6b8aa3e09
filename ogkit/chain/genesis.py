"""Dev-chain defaults, matching Ape's local test network so its accounts just work."""

from eth_utils import keccak

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


# --- contracts and accounts present from genesis (alpha addresses) ---------------------------

INFERENCE_HUB_ADDRESS = "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE"
"""The inference hub (`contracts/hub/InferenceHub.sol`), at its alpha-testnet address."""
TASK_SCHEDULER_ADDRESS = "0x7179724De4e7FF9271FA40C0337c7f90C0508eF6"
"""The workflow scheduler (`contracts/hub/TaskScheduler.sol`), at its alpha-testnet address."""

SCHEDULER_SYSTEM_KEY = keccak(text="ogkit: workflow scheduler system account")
"""A public, dev-only key: signs the `run()` transactions of scheduled tasks (ogkit/workflows)."""
SCHEDULER_SYSTEM_BALANCE = 1_000_000 * 10**18


def genesis_contracts() -> dict[bytes, dict]:
    """The genesis entries every local chain adds to its funded dev accounts: the hub and the
    scheduler (runtime code of the committed artifacts, no storage: neither has constructor
    state; nonce 1 like any deployed contract) and the scheduler's funded system account."""
    from eth_keys import keys
    from eth_utils import to_canonical_address

    from ogkit.contracts import load

    system = keys.PrivateKey(SCHEDULER_SYSTEM_KEY).public_key.to_canonical_address()
    return {
        to_canonical_address(INFERENCE_HUB_ADDRESS): _contract(load("InferenceHub").runtime),
        to_canonical_address(TASK_SCHEDULER_ADDRESS): _contract(load("TaskScheduler").runtime),
        system: {"balance": SCHEDULER_SYSTEM_BALANCE, "nonce": 0, "code": b"", "storage": {}},
    }


def _contract(runtime: bytes) -> dict:
    return {"balance": 0, "nonce": 1, "code": runtime, "storage": {}}


def genesis_extras() -> dict[bytes, dict]:
    """Everything a local chain has at genesis besides its funded dev accounts."""
    from ogkit.chain.tee_registry_genesis import tee_registry_genesis

    return system_accounts() | genesis_contracts() | tee_registry_genesis()
