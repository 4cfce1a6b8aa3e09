"""Dev state changes (`anvil_setBalance`, `anvil_setNonce`, `anvil_setCode`,
`anvil_setStorageAt`): written into the pending block's state, which "latest" reads see
while the pending block holds no transactions. The caller holds the lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth.chains.base import MiningChain


def modify_state(chain: MiningChain, change: Callable[[Any], None]) -> None:
    state = chain.get_vm().state
    change(state)
    state.persist()
    chain.header = chain.header.copy(state_root=state.state_root)


def set_balance(chain: MiningChain, address: bytes, balance: int) -> None:
    modify_state(chain, lambda state: state.set_balance(address, balance))


def set_nonce(chain: MiningChain, address: bytes, nonce: int) -> None:
    modify_state(chain, lambda state: state.set_nonce(address, nonce))


def set_code(chain: MiningChain, address: bytes, code: bytes) -> None:
    modify_state(chain, lambda state: state.set_code(address, code))


def set_storage(chain: MiningChain, address: bytes, slot: int, value: int) -> None:
    modify_state(chain, lambda state: state.set_storage(address, slot, value))
