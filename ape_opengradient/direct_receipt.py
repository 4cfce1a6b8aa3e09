"""A receipt as `web3.eth.get_transaction_receipt` gives it on Ape's eth-tester provider,
without the round trip through text (issue 13).

On that path eth-tester serialises the receipt (bytes and ints), its outbound normaliser
writes every hash and byte string as hex text and every address as a checksum address, web3's
eth-tester middleware renames the keys, and web3's receipt formatter parses the hex text back
into `HexBytes` and ints. For the receipt of a transaction the direct path just sealed (no
blob gas, eth-tester's usual fields), `plain_receipt` goes from eth-tester's serialised receipt
to the same result in one step: the same keys in the same order, the same values and types.
Anything else (an unknown field, a value of another shape) gets None, and the caller takes
web3's functions (direct.py `formatted_receipt`). eth-tester's own checks stay: the inbound
hash validated and normalised, the outbound receipt validated, as `EthereumTester` does.
tests/chain/test_direct_receipt.py compares both ways on receipts of every shape here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_tester.exceptions import TransactionNotFound
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.datastructures import AttributeDict
from web3.providers.eth_tester.middleware import (
    LOG_RESULT_KEY_MAPPING,
    RECEIPT_RESULT_KEY_MAPPING,
)

RECEIPT_FIELDS = (
    "block_hash",
    "block_number",
    "contract_address",
    "cumulative_gas_used",
    "effective_gas_price",
    "from",
    "gas_used",
    "logs",
    "state_root",
    "status",
    "to",
    "transaction_hash",
    "transaction_index",
    "type",
)
"""eth-tester's serialised receipt of a non-blob transaction, in its order."""
LOG_FIELDS = (
    "type",
    "log_index",
    "transaction_index",
    "transaction_hash",
    "block_hash",
    "block_number",
    "address",
    "data",
    "topics",
)
_INTS = ("block_number", "cumulative_gas_used", "effective_gas_price", "gas_used", "status")


class NotPlain(Exception):  # noqa: N818 - a signal, not an error
    """A value of a shape `plain_receipt` does not convert: web3's functions must."""


def tester_receipt(ethereum_tester: Any, tx_hash: str) -> dict | None:
    """`EthereumTester.get_transaction_receipt(tx_hash)` before its outbound normalisation
    (its validation of the hash and of the receipt included); None where web3's eth-tester
    provider gives None (the transaction is not found)."""
    ethereum_tester.validator.validate_inbound_transaction_hash(tx_hash)
    raw_hash = ethereum_tester.normalizer.normalize_inbound_transaction_hash(tx_hash)
    try:
        raw = ethereum_tester.backend.get_transaction_receipt(raw_hash)
    except TransactionNotFound:
        return None
    ethereum_tester.validator.validate_outbound_receipt(raw)
    return raw


def plain_receipt(raw: dict) -> AttributeDict | None:
    """What eth-tester's outbound normaliser, web3's key mapping, web3's receipt formatter
    and `AttributeDict.recursive` make of `raw`, a serialised receipt; None unless `raw` is
    of the usual shape (`RECEIPT_FIELDS`, logs of `LOG_FIELDS`, values as eth-tester's
    serialiser gives them)."""
    if tuple(raw) != RECEIPT_FIELDS:
        return None
    try:
        fields = _receipt_fields(raw)
    except NotPlain:
        return None
    return AttributeDict({RECEIPT_RESULT_KEY_MAPPING.get(k, k): v for k, v in fields.items()})


def _receipt_fields(raw: dict) -> dict:
    for key in _INTS:
        _int(raw[key])
    out = dict(raw)
    out["block_hash"] = _hash(raw["block_hash"])
    out["contract_address"] = _contract_address(raw)
    out["from"] = _address(raw["from"])
    out["logs"] = [_log(log) for log in _list(raw["logs"])]
    if type(raw["state_root"]) is not bytes:
        raise NotPlain
    out["to"] = "" if raw["to"] == b"" else _address(raw["to"])
    out["transaction_hash"] = _hash(raw["transaction_hash"])
    out["transaction_index"] = _int(raw["transaction_index"])
    out["type"] = _int(raw["type"])
    return out


def _log(log: Any) -> AttributeDict:
    if type(log) is not dict or tuple(log) != LOG_FIELDS or type(log["type"]) is not str:
        raise NotPlain
    out = dict(log)
    out["log_index"] = _int(log["log_index"])
    out["transaction_index"] = _int(log["transaction_index"])
    out["transaction_hash"] = _hash(log["transaction_hash"])
    out["block_hash"] = _hash(log["block_hash"])
    out["block_number"] = _int(log["block_number"])
    out["address"] = _address(log["address"])
    if type(log["data"]) is not bytes:
        raise NotPlain
    out["data"] = HexBytes(log["data"])
    out["topics"] = [_hash(topic) for topic in _list(log["topics"])]
    return AttributeDict({LOG_RESULT_KEY_MAPPING.get(k, k): v for k, v in out.items()})


def _contract_address(raw: dict) -> str | None:
    """eth-tester's: None for a failed transaction, else the created address, checksummed."""
    value = raw["contract_address"]
    if value is None or raw["status"] == 0:
        return None
    return _address(value)


def _int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise NotPlain
    return value


def _hash(value: Any) -> HexBytes:
    if type(value) is not bytes or len(value) != 32:
        raise NotPlain
    return HexBytes(value)


def _address(value: Any) -> str:
    if type(value) is not bytes or len(value) != 20:
        raise NotPlain
    return _checksum(value)


@lru_cache(maxsize=1024)
def _checksum(address: bytes) -> str:
    """`to_checksum_address`, remembered: a receipt names the same few addresses (sender,
    contract, its logs' emitters) tx after tx, and each costs a keccak of its hex text."""
    return to_checksum_address(address)


def _list(value: Any) -> list | tuple:
    if type(value) not in (list, tuple):
        raise NotPlain
    return value


__all__ = ["LOG_FIELDS", "RECEIPT_FIELDS", "plain_receipt", "tester_receipt"]
