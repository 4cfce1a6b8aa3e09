"""The in-process provider's direct `eth_call` (issue 13): Ape's `LocalProvider.send_call`
without web3's middleware.

Ape sends each read-only contract call through `web3.eth.call`: web3's munger and request
formatters, its middleware onion (ENS names, chain id validation, eth-tester's key remapping)
and eth-tester's default sender, which asks `web3.eth.accounts` through all of that again,
twice per call. Here the same request goes to the same `EthereumTester.call` (validation,
normalisation, `AIBackendMixin.call`: simulation phase, 0xF4's result cache and PIPE alike)
with web3's own formatter functions applied in web3's order, and what comes back (the return
bytes, or web3's exception for a revert) is what `web3.eth.call` gives Ape. Ape's error
handling around it is Ape's, line for line.

Anything unusual keeps web3's path: a block other than the head, a state override, an address
that is not a checksum address (an ENS name for web3's middleware), an EIP-3668
`OffchainLookup` (web3 follows those). tests/chain/test_direct_call.py compares both paths.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from ape.api.providers import CallResult
from ape.exceptions import ContractLogicError, VirtualMachineError
from eth_pydantic_types import HexBytes
from eth_tester.exceptions import TransactionFailed
from eth_utils import is_checksum_address, to_checksum_address
from eth_utils.exceptions import ValidationError
from eth_utils.toolz import assoc
from web3._utils.method_formatters import get_request_formatters
from web3.exceptions import ContractLogicError as Web3ContractLogicError
from web3.exceptions import OffchainLookup
from web3.middleware.validation import _chain_id_validator
from web3.providers.eth_tester.main import _make_request
from web3.providers.eth_tester.middleware import (
    TRANSACTION_REQUEST_KEY_MAPPING,
    request_formatters,
)
from web3.types import RPCEndpoint, TxParams

if TYPE_CHECKING:
    from ape.api.transactions import TransactionAPI

_CALL = RPCEndpoint("eth_call")
_WEB3_FORMAT = get_request_formatters(_CALL)
_TESTER_FORMAT = cast(dict, request_formatters)[_CALL]
_KEY_MAP = TRANSACTION_REQUEST_KEY_MAPPING
_INTS = ("chainId", "value", "maxFeePerGas", "maxPriorityFeePerGas", "nonce")
_PLAIN_KEYS = frozenset((*_INTS, "to", "from", "data", "type", "accessList"))
_HEX_DATA = re.compile(r"0x(?:[0-9a-f]{2})*")
HEAD = (None, "latest")
"""Block ids of the head ("latest": eth-tester's block before the pending one)."""


class UseWeb3(Exception):  # noqa: N818 - a signal, not an error
    """The request needs web3's path (its middleware would act on it)."""


def can_call_directly(block_id: Any, state: Any) -> bool:
    return block_id in HEAD and state is None


def send_call(provider: Any, txn: TransactionAPI, block_id: Any = None, **kwargs: Any) -> HexBytes:
    """Ape's `LocalProvider.send_call` at the head without a state override, step for step,
    with `direct_eth_call` for `web3.eth.call`."""
    # NOTE (Ape's): JSON mode, since used as request data.
    data = txn.model_dump(by_alias=True, mode="json", exclude_none=True)
    raise_on_revert = kwargs.get("raise_on_revert", txn.raise_on_revert)
    for key in ("gas", "gasLimit", "maxFeePerGas", "maxPriorityFeePerGas", "signature"):
        data.pop(key, None)
    data["maxFeePerGas"] = provider._get_call_max_fee(block_id)
    data["maxPriorityFeePerGas"] = provider.priority_fee

    tx_params = cast(TxParams, data)
    vm_err = failure = None
    try:
        result = eth_call(provider, tx_params, block_id)
    except ValidationError as err:
        vm_err, failure = VirtualMachineError(base_err=err), err
    except (TransactionFailed, Web3ContractLogicError) as err:
        vm_err = provider.get_virtual_machine_error(err, txn=txn, set_ape_traceback=False)
        failure = err
    if vm_err is not None:
        if raise_on_revert:
            raise vm_err from failure
        if isinstance(vm_err, ContractLogicError):
            return CallResult.from_revert(vm_err)
        result = HexBytes("0x")

    provider._increment_call_func_coverage_hit_count(txn)
    if vm_err:
        from ape.logging import logger

        logger.error(vm_err)
    return HexBytes(result)


def eth_call(provider: Any, tx_params: TxParams, block_id: Any = None) -> bytes:
    """`provider.web3.eth.call(tx_params, block_identifier=block_id)` (`block_id` at the
    head): directly when web3's middleware would change nothing, else through web3."""
    try:
        return direct_eth_call(provider, tx_params)
    except UseWeb3:
        return provider.web3.eth.call(tx_params, block_identifier=block_id, state_override=None)


def direct_eth_call(provider: Any, tx_params: TxParams) -> bytes:
    """What `web3.eth.call(tx_params)` returns or raises on Ape's eth-tester provider; raises
    `UseWeb3` (before anything ran, or for an `OffchainLookup`) when web3 must answer."""
    tester = provider.tester
    web3 = provider.web3
    transaction: dict = dict(tx_params)
    if "from" not in transaction and is_checksum(web3.eth.default_account):
        transaction["from"] = web3.eth.default_account  # web3's munger
    params = tester_request(transaction, tester)
    try:
        response = _make_request(_CALL, params, tester.api_endpoints, tester.ethereum_tester, "0")
    except OffchainLookup as lookup:
        raise UseWeb3 from lookup  # web3 follows EIP-3668 lookups (and re-sends the call)
    if "error" in response:
        raise UseWeb3  # web3's error formatting (not reached by eth-tester's "call")
    return bytes(HexBytes(response["result"]))


def tester_request(transaction: dict, tester: Any) -> list:
    """The params eth-tester's `call` gets for `transaction` (after web3's munger): web3's
    request formatters, its ENS and validation middleware, eth-tester's default sender and
    key remapping, in web3's order (`plain_request` where that is known to change nothing
    but keys)."""
    plain = plain_request(transaction, tester.chain_id)
    if plain is None:
        params = _WEB3_FORMAT((transaction, "latest"))
        if not _plain_addresses(params[0]):
            raise UseWeb3  # web3's ENS middleware resolves names
        params = _chain_id_validator(tester.chain_id)(params)  # web3's validation middleware
    else:
        params = (plain, "latest")
    request = params[0]
    if request.get("from") is None:  # eth-tester's default-fields middleware
        accounts = tester.backend.get_accounts()
        if not accounts:
            raise UseWeb3
        request = assoc(request, "from", to_checksum_address(accounts[0]))
    if plain is not None:
        return [request, "latest"]
    return _TESTER_FORMAT([request, *params[1:]])


def plain_request(transaction: dict, chain_id: int) -> dict | None:
    """What web3's formatters and middleware and eth-tester's remapping make of a call of
    Ape's usual shape (non-negative ints, lowercase hex data, checksum addresses, no access
    list entries, this chain's id): the keys renamed, the chain id dropped (web3's validation
    does that), values as they are (ints go to hex and back). None for any other shape."""
    if not _PLAIN_KEYS.issuperset(transaction) or not _plain_addresses(transaction):
        return None
    if any(key in transaction and type(transaction[key]) is not str for key in ("to", "from")):
        return None
    for key in _INTS:
        value = transaction.get(key, 0)
        if type(value) is not int or value < 0:
            return None
    data = transaction.get("data", "0x")
    if type(data) is not str or not _HEX_DATA.fullmatch(data):
        return None
    if transaction.get("accessList", []) != [] or type(transaction.get("type", 0)) is not int:
        return None
    if transaction.get("chainId", chain_id) != chain_id:
        return None  # web3's validation raises
    return {_KEY_MAP.get(k, k): v for k, v in transaction.items() if k != "chainId"}


def _plain_addresses(transaction: dict) -> bool:
    """Whether "to" (if any) and "from" (if given) are checksum addresses (no ENS names)."""
    return all(
        transaction.get(key) is None or is_checksum(transaction[key]) for key in ("to", "from")
    )


def is_checksum(address: Any) -> bool:
    """`is_checksum_address(address)`, remembered for text: Ape asks about the same few
    addresses call after call, and each answer costs a keccak of the text."""
    if type(address) is str:
        return _is_checksum_text(address)
    return is_checksum_address(address)


@lru_cache(maxsize=1024)
def _is_checksum_text(address: str) -> bool:
    return is_checksum_address(address)


__all__ = [
    "HEAD",
    "UseWeb3",
    "can_call_directly",
    "direct_eth_call",
    "eth_call",
    "is_checksum",
    "plain_request",
    "send_call",
    "tester_request",
]
