"""Contracts present from genesis at fixed addresses, constructor state included.

A genesis entry is `{balance, nonce, code, storage}`: enough for a contract without constructor
state (the hub, the scheduler: `genesis.py` puts their runtime code there). A contract whose
constructor writes storage (token balances, roles) or bakes immutables (an EIP-712 domain
separator over `address(this)` and the chain id) must really be constructed at its address on
its chain. `predeploy` does that in a scratch py-evm state: it runs the creation code as a CREATE
message whose new address is the target, with the chain id and block time of the real chain,
records every slot SSTORE touches, and returns the genesis entry the real chain starts with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eth.chains.base import MiningChain
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth.db.atomic import AtomicDB
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState
from eth.vm.message import Message
from eth.vm.opcode import as_opcode
from eth_tester.backends.pyevm.main import get_default_genesis_params
from eth_utils import big_endian_to_int

from ogkit.chain.reverts import revert_reason

SSTORE = 0x55
DEPLOYER = b"\x00" * 19 + b"\x01"
"""`msg.sender` and `tx.origin` of a constructor unless the caller names one."""
CONSTRUCTION_GAS = 30_000_000
GenesisState = dict[bytes, dict]


class PredeployError(RuntimeError):
    """The constructor reverted, or wrote storage outside its own account."""


@dataclass
class _Writes:
    slots: dict[bytes, set[int]] = field(default_factory=dict)

    def add(self, address: bytes, slot: int) -> None:
        self.slots.setdefault(address, set()).add(slot)


def _recording_vm(writes: _Writes) -> type[PragueVM]:
    """Prague whose SSTORE first notes (storage address, slot): the trie keeps only hashed
    slot keys, so a written slot cannot be listed afterwards."""
    sstore = PragueComputation.opcodes[SSTORE]

    def recording_sstore(computation: PragueComputation) -> None:
        top = computation._stack.values[-1]
        slot = top if isinstance(top, int) else big_endian_to_int(top)
        writes.add(computation.msg.storage_address, slot)
        sstore(computation)  # charges its own (dynamic) gas

    opcodes = {**PragueComputation.opcodes, SSTORE: as_opcode(recording_sstore, "SSTORE", 0)}
    computation = PragueComputation.configure(__name__="RecordingComputation", opcodes=opcodes)
    state = PragueState.configure(__name__="RecordingState", computation_class=computation)
    return PragueVM.configure(__name__="RecordingVM", _state_class=state)


def predeploy(
    address: bytes,
    creation_code: bytes,
    *,
    chain_id: int,
    timestamp: int | None = None,
    deployer: bytes = DEPLOYER,
    alloc: Mapping[bytes, dict] | None = None,
    calls: Sequence[bytes] = (),
) -> dict:
    """The genesis entry of the contract `creation_code` (constructor arguments appended)
    makes when constructed at `address` on chain `chain_id`. `alloc` is the rest of the
    genesis (contracts the constructor may call); `timestamp` is its `block.timestamp`.
    `calls` (calldata) are then sent to the contract by `deployer`, in order: an admin's
    set-up (roles, types) that the constructor does not do."""
    writes = _Writes()
    chain_class = MiningChain.configure(
        __name__="PredeployChain", vm_configuration=((0, _recording_vm(writes)),), chain_id=chain_id
    )
    params = get_default_genesis_params({"gas_limit": CONSTRUCTION_GAS + 1})
    if timestamp is not None:
        params["timestamp"] = timestamp
    chain = chain_class.from_genesis(AtomicDB(), params, dict(alloc or {}))
    header = chain.header if timestamp is None else chain.header.copy(timestamp=timestamp)
    state = chain.get_vm(header).state  # the pending block's time is the wall clock's
    message = Message(
        gas=CONSTRUCTION_GAS,
        to=CREATE_CONTRACT_ADDRESS,
        sender=deployer,
        value=0,
        data=b"",
        code=creation_code,
        create_address=address,
    )
    context = state.get_transaction_context_class()(gas_price=0, origin=deployer)
    computation = state.computation_class.apply_create_message(state, message, context)
    _check(computation, f"constructor at 0x{address.hex()}")
    for data in calls:
        call = Message(
            gas=CONSTRUCTION_GAS,
            to=address,
            sender=deployer,
            value=0,
            data=data,
            code=state.get_code(address),
        )
        computation = state.computation_class.apply_message(state, call, context)
        _check(computation, f"set-up call 0x{data[:4].hex()} to 0x{address.hex()}")
    elsewhere = sorted(a.hex() for a in writes.slots if a != address)
    if elsewhere:
        raise PredeployError(f"constructor wrote storage of other accounts: 0x{elsewhere[0]}")
    storage = {
        slot: value
        for slot in sorted(writes.slots.get(address, ()))
        if (value := state.get_storage(address, slot)) != 0
    }
    return {
        "balance": state.get_balance(address),
        "nonce": state.get_nonce(address),
        "code": state.get_code(address),
        "storage": storage,
    }


def _check(computation: PragueComputation, what: str) -> None:
    if computation.is_error:
        raise PredeployError(
            f"{what} failed: {_reason(computation.output)} ({type(computation.error).__name__})"
        )


def _reason(output: bytes) -> str:
    reason = revert_reason(output) if output else None
    return reason or "reverted without a reason"


def predeploy_all(
    contracts: Mapping[bytes, bytes], *, chain_id: int, alloc: Mapping[bytes, dict] | None = None
) -> GenesisState:
    """Construct several contracts in order, each seeing the ones before it (and `alloc`)."""
    built: GenesisState = dict(alloc or {})
    for address, code in contracts.items():
        built[address] = predeploy(address, code, chain_id=chain_id, alloc=built)
    return {address: built[address] for address in contracts}
