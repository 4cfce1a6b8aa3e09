"""keccak256 for the whole process: pysha3's C code behind eth-hash.

Every keccak in the chain (trie nodes, addresses, transaction and block hashes) goes
through `eth_hash.auto.keccak`, whose automatic choice takes pycryptodome first when both
backends are installed. pycryptodome's keccak costs ~6 us a call (a cffi object, its
update and digest), pysha3's ~0.7 us, and an automined transaction hashes ~40 times
(the node: bench/RESULTS-node.md). Same function, same digests (tests/unit/test_hashing.py).
"""

from __future__ import annotations

import os


def use_pysha3() -> bool:
    """Point `eth_hash.auto.keccak` at pysha3, unless ETH_HASH_BACKEND (eth-hash's own
    setting) names a backend or pysha3 is missing; True if it did."""
    if os.environ.get("ETH_HASH_BACKEND"):
        return False
    try:
        from eth_hash.backends.pysha3 import backend
    except ImportError:
        return False
    from eth_hash.auto import keccak

    keccak.hasher = backend.keccak256  # what its first call would set to its backend's
    keccak.preimage = backend.preimage
    return True
