"""Transactions coming in: raw ones decoded and checked (`eth_sendRawTransaction`), and
`eth_sendTransaction` objects completed (nonce, gas, fees, type) and signed for a dev or
impersonated account. Both go to the miner (the facade hands them over); what a missing
field defaults to comes in as `TxDefaults`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth.abc import SignedTransactionAPI
from eth.chains.base import MiningChain
from eth_keys import keys as eth_keys

from ogkit.node.chain.fees import DEFAULT_PRIORITY_FEE
from ogkit.node.rpc.errors import InvalidParams, ServerError
from ogkit.node.rpc.formatting import tx_type
from ogkit.node.rpc.params import TxParams


@dataclass(frozen=True)
class TxDefaults:
    """What `eth_sendTransaction` fills in, as geth does, when the object leaves it out."""

    nonce: Callable[[bytes], int]
    """The sender's next nonce (the pending block's)."""
    gas: Callable[[TxParams], int]
    """An estimate on the pending block."""
    gas_price: Callable[[], int]
    next_base_fee: Callable[[], int]


def decode_raw(chain: MiningChain, raw: bytes) -> SignedTransactionAPI:
    if not raw:
        raise InvalidParams("empty raw transaction")
    if raw[0] == 3:
        raise ServerError("blob transactions (type 3) are not supported")
    try:
        tx = chain.get_vm().get_transaction_builder().decode(raw)
    except Exception as exc:  # noqa: BLE001 - rlp and builder raise many kinds
        raise InvalidParams(f"invalid raw transaction: {exc}") from None
    return tx


def check_chain_id(tx: SignedTransactionAPI, chain_id: int) -> None:
    if tx_type(tx) == 0:
        v = tx.v
        if v >= 35 and (v - 35) // 2 != chain_id:
            raise ServerError(f"invalid chain id: {(v - 35) // 2}, expected {chain_id}")
    elif tx.chain_id != chain_id:
        raise ServerError(f"invalid chain id: {tx.chain_id}, expected {chain_id}")


def checked_raw(chain: MiningChain, raw: bytes) -> SignedTransactionAPI:
    """`eth_sendRawTransaction`'s transaction, decoded and its signature checked."""
    tx = decode_raw(chain, raw)
    try:
        tx.sender  # noqa: B018 - recover it now: a bad signature fails here, readably
    except Exception as exc:  # noqa: BLE001
        raise ServerError(f"invalid transaction signature: {exc}") from None
    return tx


def require_sender(tx: TxParams) -> bytes:
    if tx.sender is None:
        raise InvalidParams("transaction.from is required")
    return tx.sender


def as_received(chain: MiningChain, signed: SignedTransactionAPI) -> SignedTransactionAPI:
    """As if it came in raw: py-evm's builders sign with older forks' classes, which the
    current fork's blocks cannot encode."""
    return chain.get_vm().get_transaction_builder().decode(signed.encode())


def sign_transaction(
    chain: MiningChain,
    chain_id: int,
    tx: TxParams,
    key: eth_keys.PrivateKey,
    defaults: TxDefaults,
) -> SignedTransactionAPI:
    """Fill in what the object leaves out, as geth does, and sign it with `key`."""
    vm = chain.get_vm()
    builder = vm.get_transaction_builder()
    nonce = tx.nonce if tx.nonce is not None else defaults.nonce(tx.sender)
    if tx.chain_id is not None and tx.chain_id != chain_id:
        raise ServerError(f"invalid chain id: {tx.chain_id}, expected {chain_id}")
    gas = tx.gas if tx.gas is not None else defaults.gas(tx)
    kind = tx.type
    if kind is None:
        if tx.gas_price is not None and tx.max_fee_per_gas is None:
            kind = 1 if tx.access_list else 0
        else:
            kind = 2
    common = {"nonce": nonce, "gas": gas, "to": tx.to or b"", "value": tx.value}
    if kind == 0:
        unsigned = vm.create_unsigned_transaction(
            gas_price=tx.gas_price if tx.gas_price is not None else defaults.gas_price(),
            data=tx.data,
            **common,
        )
        return unsigned.as_signed_transaction(key, chain_id=chain_id)
    if kind == 1:
        unsigned = builder.new_unsigned_access_list_transaction(
            chain_id=chain_id,
            gas_price=tx.gas_price if tx.gas_price is not None else defaults.gas_price(),
            data=tx.data,
            access_list=tuple((a, tuple(k)) for a, k in tx.access_list),
            **common,
        )
        return unsigned.as_signed_transaction(key)
    if kind == 2:
        priority = (
            tx.max_priority_fee_per_gas
            if tx.max_priority_fee_per_gas is not None
            else DEFAULT_PRIORITY_FEE
        )
        max_fee = (
            tx.max_fee_per_gas
            if tx.max_fee_per_gas is not None
            else 2 * defaults.next_base_fee() + priority
        )
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id=chain_id,
            max_priority_fee_per_gas=priority,
            max_fee_per_gas=max_fee,
            data=tx.data,
            access_list=tuple((a, tuple(k)) for a, k in tx.access_list),
            **common,
        )
        return unsigned.as_signed_transaction(key)
    raise InvalidParams(f"transaction type {kind} is not supported by eth_sendTransaction")
