"""One call of an `eth_simulateV1` block: geth's checks, the run, and what it logged.

geth runs a simulated call as a message whose checks depend on `validation`: without it
the nonce is not checked and, when the call names no fee, the base fee is not either and
nothing is charged (`NoBaseFee`); with it a call is checked as a transaction would be. The
checks here are geth's (core/state_transition.go `preCheck`, `buyGas`, the intrinsic gas
and EIP-7623 floor), in its order and words, and a refusal ends the whole simulation with
geth's code (internal/ethapi/errors.go). py-evm then runs the call as an unsigned,
spoofed transaction on a state class whose own checks are off (they ran here).

`traceTransfers`: every frame that moves ether (not DELEGATECALL or CALLCODE) is reported
as an ERC-20 `Transfer` log of 0xEeee…EeeE (ERC-7528), in order among the real logs; a
frame that fails takes its logs and transfers with it, as geth's tracer does (logtracer.go).
Ether a SELFDESTRUCT sends is reported too (py-evm runs it without a frame: the opcode is
wrapped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth.vm.spoof import SpoofTransaction
from eth_utils import keccak, to_checksum_address

from ogkit.chain.fork import floor_data_gas
from ogkit.node.rpc.errors import RpcError, ServerError
from ogkit.node.rpc.params import TxParams

TRANSFER_ADDRESS = b"\xee" * 20
TRANSFER_TOPIC = int.from_bytes(keccak(text="Transfer(address,address,uint256)"), "big")
ZERO_ADDRESS = b"\x00" * 20
SELFDESTRUCT = 0xFF
NONCE_MAX = 2**64 - 1

NONCE_TOO_LOW = -38010
NONCE_TOO_HIGH = -38011
BASE_FEE_TOO_LOW = -38012
INTRINSIC_GAS = -38013
INSUFFICIENT_FUNDS = -38014
BLOCK_GAS_LIMIT_REACHED = -38015
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class CallRefused(RpcError):
    """A call geth would not run: the simulation stops with this error."""


@dataclass(frozen=True)
class Message:
    """A call with geth's defaults filled in (`CallDefaults`, `ToMessage`)."""

    sender: bytes
    to: bytes | None
    gas: int
    value: int
    data: bytes
    nonce: int
    fee_cap: int
    tip: int
    legacy_price: int | None
    """`gasPrice` as given: the call shows as a legacy transaction (geth's ToTransaction)."""
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...]
    free: bool
    """No fee named and no validation: geth's NoBaseFee, nothing is charged."""

    def gas_price(self, base_fee: int) -> int:
        if self.free or (self.fee_cap == 0 and self.tip == 0):
            return 0
        return min(self.tip + base_fee, self.fee_cap)


def message(tx: TxParams, nonce: int, gas: int, chain_id: int, validate: bool) -> Message:
    """geth's `CallDefaults` + `ToMessage`: zero fees unless named, the chain's id."""
    if tx.gas_price is not None and (
        tx.max_fee_per_gas is not None or tx.max_priority_fee_per_gas is not None
    ):
        raise ServerError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
    if tx.chain_id is not None and tx.chain_id != chain_id:
        raise ServerError(f"chainId does not match node's (have={tx.chain_id}, want={chain_id})")
    if tx.gas_price is not None:
        fee_cap = tip = tx.gas_price
    else:
        fee_cap, tip = tx.max_fee_per_gas or 0, tx.max_priority_fee_per_gas or 0
    return Message(
        sender=tx.sender or ZERO_ADDRESS,
        to=tx.to,
        gas=gas,
        value=tx.value,
        data=tx.data,
        nonce=nonce,
        fee_cap=fee_cap,
        tip=tip,
        legacy_price=tx.gas_price,
        access_list=tuple((a, tuple(keys)) for a, keys in tx.access_list),
        free=not validate and fee_cap == 0 and tip == 0,
    )


def _hex(address: bytes) -> str:
    return to_checksum_address(address)


def precheck(state: Any, msg: Message, base_fee: int, validate: bool, intrinsic: int) -> None:
    """geth's checks before a message runs, in its order; raise what geth answers (its
    `applyMessageWithEVM` words: "err: <reason> (supplied gas N)")."""
    who = _hex(msg.sender)

    def refused(code: int, reason: str) -> CallRefused:
        return CallRefused(code, f"err: {reason} (supplied gas {msg.gas})")

    if validate:
        have = state.get_nonce(msg.sender)
        if have < msg.nonce:
            raise refused(
                NONCE_TOO_HIGH, f"nonce too high: address {who}, tx: {msg.nonce} state: {have}"
            )
        if have > msg.nonce:
            raise refused(
                NONCE_TOO_LOW, f"nonce too low: address {who}, tx: {msg.nonce} state: {have}"
            )
        if have >= NONCE_MAX:  # EIP-2681; geth's code for it is its default, -32603
            raise refused(INTERNAL_ERROR, f"nonce has max value: address {who}, nonce: {have}")
    elif msg.to is None and state.get_nonce(msg.sender) >= NONCE_MAX:
        # geth fails such a create inside the EVM (ErrNonceUintOverflow); refused here
        raise refused(INTERNAL_ERROR, "nonce uint64 overflow: a create at nonce 2^64-1")
    if not msg.free:
        if msg.fee_cap < msg.tip:
            raise refused(
                INVALID_PARAMS,
                f"max priority fee per gas higher than max fee per gas: address {who}, "
                f"maxPriorityFeePerGas: {msg.tip}, maxFeePerGas: {msg.fee_cap}",
            )
        if msg.fee_cap < base_fee:
            raise refused(
                BASE_FEE_TOO_LOW,
                f"max fee per gas less than block base fee: address {who}, "
                f"maxFeePerGas: {msg.fee_cap}, baseFee: {base_fee}",
            )
    balance = state.get_balance(msg.sender)
    want = msg.gas * (0 if msg.free else msg.fee_cap) + msg.value
    if balance < want:
        raise refused(
            INSUFFICIENT_FUNDS,
            f"insufficient funds for gas * price + value: address {who} have {balance} want {want}",
        )
    if msg.gas < intrinsic:
        raise refused(INTRINSIC_GAS, f"intrinsic gas too low: have {msg.gas}, want {intrinsic}")
    floor = floor_data_gas(msg.data)
    if msg.gas < floor:
        raise refused(
            INTERNAL_ERROR,
            f"insufficient gas for floor data gas cost: have {msg.gas}, want {floor}",
        )
    if msg.value and balance - msg.gas * msg.gas_price(base_fee) < msg.value:
        raise refused(INSUFFICIENT_FUNDS, f"insufficient funds for transfer: address {who}")


def spoofed(builder: Any, msg: Message, chain_id: int, state_nonce: int) -> SpoofTransaction:
    """What py-evm runs: unsigned, from `msg.sender`, with the state's nonce (geth skips
    the nonce check without validation, and with it the two are equal; a nonce of 2^64-1,
    which only runs without validation, is not a valid transaction field)."""
    unsigned = builder.new_unsigned_dynamic_fee_transaction(
        chain_id,
        min(state_nonce, NONCE_MAX - 1),
        msg.tip,
        msg.fee_cap,
        msg.gas,
        msg.to or b"",
        msg.value,
        msg.data,
        msg.access_list,
    )
    return SpoofTransaction(unsigned, from_=msg.sender)


def shown(builder: Any, msg: Message, chain_id: int) -> Any:
    """The transaction the simulated block shows (geth's `ToTransaction`): unsigned (zero
    signature), legacy when `gasPrice` was given, else EIP-1559."""
    to = msg.to or b""
    if msg.legacy_price is not None:
        return builder.new_transaction(
            msg.nonce, msg.legacy_price, msg.gas, to, msg.value, msg.data, 0, 0, 0
        )
    london = builder.new_dynamic_fee_transaction(
        chain_id,
        msg.nonce,
        msg.tip,
        msg.fee_cap,
        msg.gas,
        to,
        msg.value,
        msg.data,
        msg.access_list,
        0,
        0,
        0,
    )
    return builder.typed_transaction(london.type_id, london._inner)  # the fork's own class


def sim_state_class(state_class: type) -> type:
    """`state_class` without py-evm's own transaction checks (`precheck` ran geth's),
    charging nothing for a `free` call, with the block's `blobBaseFee` override, and
    geth's warm precompiles and nonce arithmetic."""
    warm = frozenset(state_class.computation_class.get_precompiles())

    class SimState(state_class):  # type: ignore[misc, valid-type]
        free = False
        blob_fee_override: int | None = None

        @property
        def blob_base_fee(self) -> int:
            if self.blob_fee_override is not None:
                return self.blob_fee_override
            return super().blob_base_fee

        def validate_transaction(self, transaction: Any) -> None:
            return None

        def is_address_warm(self, address: bytes) -> bool:
            """geth warms the fork's precompiles (`vm.ActivePrecompiles(rules)`), not the
            overridden or moved ones a block runs with."""
            return self._account_db.is_address_warm(address) or address in warm

        def increment_nonce(self, address: bytes) -> None:
            """Without validation geth raises a nonce of 2^64-1 as a uint64: to 0."""
            self.set_nonce(address, (self.get_nonce(address) + 1) % 2**64)

        def get_gas_price(self, transaction: Any) -> int:
            return 0 if self.free else super().get_gas_price(transaction)

        def get_tip(self, transaction: Any) -> int:
            return 0 if self.free else super().get_tip(transaction)

    return SimState


def _note_transfer(computation: Any, sender: bytes, recipient: bytes, value: int) -> None:
    """A transfer log, numbered by py-evm's log counter so it sorts among the real logs."""
    topics = (TRANSFER_TOPIC, int.from_bytes(sender, "big"), int.from_bytes(recipient, "big"))
    counter = computation.transaction_context.get_next_log_counter()
    computation.sim_transfers.append((counter, TRANSFER_ADDRESS, topics, value.to_bytes(32, "big")))


class _TracedSelfdestruct:
    """SELFDESTRUCT noting the balance it sends (geth's tracer sees it as a frame)."""

    def __init__(self, original: Any) -> None:
        self.original = original

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)

    def __call__(self, computation: Any) -> Any:
        stack = computation._stack.values
        if stack:
            top = stack[-1]
            word = top if isinstance(top, int) else int.from_bytes(top, "big")
            beneficiary = (word % 2**160).to_bytes(20, "big")
            contract = computation.msg.storage_address
            value = computation.state.get_balance(contract)
            if value:
                _note_transfer(computation, contract, beneficiary, value)
        return self.original(computation=computation)


def sim_computation_class(base: type, precompiles: dict | None, transfers: bool) -> type:
    """`base` with `precompiles` (moved or overridden ones), noting each ether transfer
    in order among the logs when `transfers`."""

    class SimComputation(base):  # type: ignore[misc, valid-type]
        if precompiles is not None:
            _precompiles = precompiles
        if transfers:
            opcodes = {
                **base.opcodes,
                SELFDESTRUCT: _TracedSelfdestruct(base.opcodes[SELFDESTRUCT]),
            }

        def __init__(self, state: Any, msg: Any, transaction_context: Any) -> None:
            super().__init__(state, msg, transaction_context)
            self.sim_transfers: list[tuple[int, bytes, tuple[int, ...], bytes]] = []
            if (
                transfers
                and msg.value
                and msg.should_transfer_value
                and (msg.is_create or msg.code_address == msg.storage_address)
            ):
                _note_transfer(self, msg.sender, msg.storage_address, msg.value)

    return SimComputation


def call_logs(computation: Any) -> list[tuple[bytes, tuple[int, ...], bytes]]:
    """(address, topics, data) of every log and noted transfer of the frames that did not
    fail, in the order they happened (py-evm's log counter orders both)."""
    entries: list[tuple[int, bytes, tuple[int, ...], bytes]] = []
    stack = [computation]
    while stack:
        frame = stack.pop()
        if frame.is_error:
            continue
        entries.extend(getattr(frame, "sim_transfers", ()))
        entries.extend(frame._log_entries)
        stack.extend(frame.children)
    entries.sort(key=lambda entry: entry[0])
    return [(address, tuple(topics), data) for _, address, topics, data in entries]
