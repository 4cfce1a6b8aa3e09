"""Dev state changes (`anvil_setBalance`, `anvil_setNonce`, `anvil_setCode`,
`anvil_setStorageAt`): written into the pending block's state, which "latest" reads see
while the pending block holds no transactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ogkit.node.chain.node_chain import NodeChain


def modify_state(node: NodeChain, change: Callable[[Any], None]) -> None:
    with node.lock:
        state = node.chain.get_vm().state
        change(state)
        state.persist()
        node.chain.header = node.chain.header.copy(state_root=state.state_root)


def set_balance(node: NodeChain, address: bytes, balance: int) -> None:
    modify_state(node, lambda state: state.set_balance(address, balance))


def set_nonce(node: NodeChain, address: bytes, nonce: int) -> None:
    modify_state(node, lambda state: state.set_nonce(address, nonce))


def set_code(node: NodeChain, address: bytes, code: bytes) -> None:
    modify_state(node, lambda state: state.set_code(address, code))


def set_storage(node: NodeChain, address: bytes, slot: int, value: int) -> None:
    modify_state(node, lambda state: state.set_storage(address, slot, value))
