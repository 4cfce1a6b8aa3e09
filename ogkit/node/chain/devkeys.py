"""Dev keys stay on dev chains: a node whose chain id is not a dev chain id refuses to start
while any publicly known key is in use, unless told `--allow-dev-keys`.

Publicly known: the dev accounts' mnemonic ("test test ... junk", Ape's and anvil's), the
dev TEE root (its CA key derives from a public seed: it trusts anyone) and the price feed's
dev signing key. On a chain id that wallets or contracts may take for a real network
(OpenGradient's alpha testnet is 10744), any of them lets anyone spend, attest or sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ogkit.chain.genesis import DEFAULT_MNEMONIC, LOCAL_CHAIN_ID
from ogkit.pricefeed.keys import is_dev_key
from ogkit.tee.trust import is_dev_root

if TYPE_CHECKING:
    from ogkit.inference.enclave_slot import EnclaveSlot
    from ogkit.node.chain.config import NodeConfig
    from ogkit.node.chain.datadir import ChainSettings

ANVIL_CHAIN_ID = 31337
"""anvil's and Hardhat's default."""
DEV_CHAIN_IDS = frozenset({LOCAL_CHAIN_ID, ANVIL_CHAIN_ID})
"""The chain ids a node may run with dev keys: the node's (and Ganache's, and Ape's local
network's) default 1337, and anvil's and Hardhat's 31337."""
ALLOW_FLAG = "--allow-dev-keys"


class DevKeysRefused(RuntimeError):
    """The node would run a non-dev chain id with publicly known keys."""


@dataclass(frozen=True)
class KeysInUse:
    mnemonic: str
    num_accounts: int
    tee_root_pem: bytes | None
    price_feed_key: bytes | None


def dev_keys_in_use(keys: KeysInUse) -> list[str]:
    """Which publicly known keys these settings use, in words."""
    found = []
    if keys.num_accounts > 0 and keys.mnemonic.strip() == DEFAULT_MNEMONIC:
        found.append('the dev accounts\' mnemonic ("test test ... junk"; --mnemonic)')
    if is_dev_root(keys.tee_root_pem):
        found.append("the dev TEE root (--tee-root)")
    if is_dev_key(keys.price_feed_key):
        found.append("the dev price-feed signing key (--price-feed-key)")
    return found


def check_dev_keys(chain_id: int, keys: KeysInUse, allow: bool) -> None:
    """Raise `DevKeysRefused`, naming the keys and the flag, on a non-dev chain id."""
    if allow or chain_id in DEV_CHAIN_IDS:
        return
    found = dev_keys_in_use(keys)
    if not found:
        return
    dev_ids = ", ".join(str(i) for i in sorted(DEV_CHAIN_IDS))
    raise DevKeysRefused(
        f"chain id {chain_id} is not a dev chain id ({dev_ids}), and this node would use "
        f"publicly known keys: {'; '.join(found)}. Replace them, or pass {ALLOW_FLAG} if "
        "nothing of value will ever touch this chain."
    )


def check_settings(settings: ChainSettings, config: NodeConfig) -> None:
    """`check_dev_keys` on what a node resolved and was told."""
    keys = KeysInUse(
        settings.mnemonic, settings.num_accounts, settings.tee_root_pem, config.price_feed_key
    )
    check_dev_keys(settings.chain_id, keys, config.allow_dev_keys)


def trust_enclave(engine: object, tee_root_pem: bytes | None, tee_ca: Path | None) -> bytes | None:
    """Give the engine's enclave an identity under the chain's root (`EnclaveSlot.trust_root`);
    returns the root, for the chain to trust too."""
    slot: EnclaveSlot | None = getattr(engine, "enclave_slot", None)
    if slot is not None:
        slot.trust_root(tee_root_pem, tee_ca)
    return tee_root_pem
