"""The in-process provider's direct path: Ape's `send_transaction` without the work that is
not the transaction itself (issue 13).

Ape's `LocalProvider.send_transaction` sends through eth-tester's validators and auto-mine,
fetches the receipt through web3's middleware, and then re-executes the transaction: an
`eth_call` replay for the revert message of a failed one, and a trace (here a
`debug_traceTransaction` replay) for the `console.log` lines of every call to a contract.
Here the signed bytes go straight to the chain (`AIBackendMixin.send_raw_and_mine`), which
hands back the transaction's own computation, and that computation answers:

- the revert reason of a reverted transaction, formatted exactly as eth-tester's `eth_call`
  and web3's eth-tester provider format it (other failures, such as running out of gas,
  still take Ape's replay: a replay with more gas may behave differently, and Ape's users
  see what that replay says);
- whether the transaction called the console address at all: when not, it logged nothing,
  and `InferenceReceipt.debug_logs_typed` skips the trace.

The receipt is eth-tester's, put through the same web3 formatter functions the middleware
would apply (without the middleware). What Ape users see stays identical; the tests in
tests/chain/test_direct_provider.py compare both paths field by field.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ape_ethereum.transactions import TransactionStatusEnum
from eth.exceptions import HeaderNotFound, Revert
from eth_tester.exceptions import TransactionFailed
from eth_utils import to_hex
from eth_utils.exceptions import ValidationError
from web3._utils.method_formatters import PYTHONIC_RESULT_FORMATTERS
from web3.datastructures import AttributeDict
from web3.exceptions import ContractLogicError as Web3ContractLogicError
from web3.middleware.validation import block_validator
from web3.providers.eth_tester.defaults import API_ENDPOINTS
from web3.providers.eth_tester.middleware import result_formatters
from web3.types import RPCEndpoint, TxParams

from ape_opengradient.direct_receipt import plain_receipt, tester_receipt
from ogkit.chain.calls import call_failure

if TYPE_CHECKING:
    from ape.api.transactions import ReceiptAPI, TransactionAPI
    from eth.abc import ComputationAPI

CONSOLE_ADDRESS = bytes.fromhex("000000000000000000636f6e736f6c652e6c6f67")
"""Where `console.log` (and Vyper's `print`) send their calls: Ape's debug logs."""
BLOB_TX_TYPE = 3
KEEP = 256
"""Outcomes kept: Ape asks about a transaction right after sending it."""

_RECEIPT = RPCEndpoint("eth_getTransactionReceipt")
_TESTER_RECEIPT = API_ENDPOINTS["eth"]["getTransactionReceipt"]
_TESTER_FORMAT = cast(dict, result_formatters)[_RECEIPT]
_PYTHONIC_FORMAT = PYTHONIC_RESULT_FORMATTERS[_RECEIPT]
_BLOCK = RPCEndpoint("eth_getBlockByNumber")
_TESTER_BLOCK = API_ENDPOINTS["eth"]["getBlockByNumber"]
_TESTER_BLOCK_FORMAT = cast(dict, result_formatters)[_BLOCK]
_PYTHONIC_BLOCK = PYTHONIC_RESULT_FORMATTERS[_BLOCK]


@dataclass(frozen=True)
class Outcome:
    """What a sent transaction's own execution said, and in which block it ran."""

    block_number: int
    block_hash: bytes
    error: Exception | None
    calls_console: bool


class Outcomes:
    """The last `KEEP` outcomes by transaction hash; one only counts while its block is
    still canonical (a snapshot revert can take it away and the hash be mined again)."""

    def __init__(self) -> None:
        self._by_hash: OrderedDict[bytes, Outcome] = OrderedDict()

    def add(self, tx_hash: bytes, outcome: Outcome) -> None:
        self._by_hash[tx_hash] = outcome
        self._by_hash.move_to_end(tx_hash)
        while len(self._by_hash) > KEEP:
            self._by_hash.popitem(last=False)

    def get(self, backend: Any, tx_hash: bytes) -> Outcome | None:
        outcome = self._by_hash.get(tx_hash)
        if outcome is None:
            return None
        with backend.chain_lock:
            # the head: eth-tester's "latest" block (the pending block's parent), its header
            # kept by the backend (the canonical head's would be decoded afresh per block)
            if outcome.block_number > backend.latest_header().block_number:
                return None  # reverted (py-evm keeps the old number -> hash entries)
            try:
                canonical = backend.chain.chaindb.get_canonical_block_hash(outcome.block_number)
            except HeaderNotFound:
                return None
        return outcome if canonical == outcome.block_hash else None


def calls_console(computation: ComputationAPI) -> bool:
    """Whether any frame of the execution was a call to (or code from) the console address."""
    stack = [computation]
    while stack:
        frame = stack.pop()
        msg = frame.msg
        if CONSOLE_ADDRESS in (msg.storage_address, msg.code_address):
            return True
        stack.extend(frame.children)
    return False


def revert_failure(backend: Any, error: Revert) -> TransactionFailed:
    """The exception web3's eth-tester provider raises when an `eth_call` reverts with
    `error`: eth-tester's `PyEVMBackend.call` message, then web3's `execution reverted: `."""
    return TransactionFailed(f"execution reverted: {call_failure(backend, error).args[0]}")


def formatted_receipt(ethereum_tester: Any, tx_hash: str) -> dict | None:
    """`web3.eth.get_transaction_receipt(tx_hash)` on an eth-tester provider, without the
    middleware: eth-tester's receipt converted in one step (direct_receipt.py), or, for one
    of another shape, `web3_formatted_receipt`."""
    raw = tester_receipt(ethereum_tester, tx_hash)
    if raw is None:
        return None
    plain = plain_receipt(raw)
    if plain is not None:
        return plain
    return _web3_format(ethereum_tester.normalizer.normalize_outbound_receipt(raw))


def web3_formatted_receipt(ethereum_tester: Any, tx_hash: str) -> dict | None:
    """`web3.eth.get_transaction_receipt(tx_hash)` on an eth-tester provider, without the
    middleware: the same endpoint and the same formatters, in the same order."""
    raw = _TESTER_RECEIPT(ethereum_tester, [tx_hash])
    if raw is None:
        return None
    return _web3_format(raw)


def _web3_format(normalized: dict) -> AttributeDict:
    return AttributeDict.recursive(_PYTHONIC_FORMAT(_TESTER_FORMAT(normalized)))


def formatted_latest_block(ethereum_tester: Any) -> AttributeDict | None:
    """`web3.eth.get_block("latest")` on an eth-tester provider, without the middleware: the
    same endpoint and the same formatters (validation's extraData check included), in order."""
    raw = _TESTER_BLOCK(ethereum_tester, ["latest", False])
    if raw is None:
        return None
    return AttributeDict.recursive(_PYTHONIC_BLOCK(block_validator(_TESTER_BLOCK_FORMAT(raw))))


def can_send_directly(provider: Any, txn: TransactionAPI) -> bool:
    """Auto-mining, no eth-tester filters to feed, not a blob transaction."""
    tester = provider.tester.ethereum_tester
    if not tester.auto_mine_transactions:
        return False
    if tester._block_filters or tester._log_filters or tester._pending_transaction_filters:
        return False
    return int(txn.type or 0) != BLOB_TX_TYPE


def send_transaction(provider: Any, txn: TransactionAPI) -> ReceiptAPI:
    """Ape's `LocalProvider.send_transaction` (auto-mine on), step for step, on the direct
    path; `provider.get_virtual_machine_error` and Ape's replay where the outcome cannot say."""
    backend = provider.tester.backend
    vm_err = None
    outcome = None
    try:
        raw_hash, computation = backend.send_raw_and_mine(txn.serialize_transaction())
    except (ValidationError, TransactionFailed, Web3ContractLogicError) as err:
        vm_err = provider.get_virtual_machine_error(err, txn=txn, set_ape_traceback=False)
        if txn.raise_on_revert:
            raise vm_err from err
        txn_hash = to_hex(txn.txn_hash)
    else:
        txn_hash = to_hex(raw_hash)
        outcome = _record(provider, backend, raw_hash, computation)

    required_confirmations = txn.required_confirmations or 0
    txn_dict = txn.model_dump(mode="json")
    txn_dict["signature"] = txn.signature
    if vm_err:
        receipt_data = {
            **txn_dict,
            "block_number": -1,
            "error": vm_err,
            "provider": provider,
            "required_confirmations": required_confirmations,
            "status": TransactionStatusEnum.FAILING,
            "txn_hash": txn_hash,
        }
        receipt = provider.network.ecosystem.decode_receipt(receipt_data)
    else:
        receipt = provider.get_receipt(
            txn_hash, required_confirmations=required_confirmations, transaction=txn_dict
        )

    provider.chain_manager.history.append(receipt)  # before error enrichment, as Ape
    if receipt.failed:
        _explain_failure(provider, backend, txn, txn_dict, receipt, outcome)
    if receipt.error:
        from ape.logging import logger

        logger.error(receipt.error)
    return receipt


def _record(provider: Any, backend: Any, raw_hash: bytes, computation: Any) -> Outcome:
    sealed = backend.sealed_header(raw_hash)  # the block it was just sealed in
    if sealed is None:
        with backend.chain_lock:
            sealed = backend.chain.get_canonical_head()
    outcome = Outcome(
        sealed.block_number, sealed.hash, computation._error, calls_console(computation)
    )
    provider.direct_outcomes.add(raw_hash, outcome)
    return outcome


def _explain_failure(
    provider: Any,
    backend: Any,
    txn: TransactionAPI,
    txn_dict: dict,
    receipt: ReceiptAPI,
    outcome: Outcome | None,
) -> None:
    """Ape's revert reason: from the transaction's own revert, else Ape's `eth_call` replay."""
    if outcome is not None and isinstance(outcome.error, Revert):
        err: Exception = revert_failure(backend, outcome.error)
    else:
        assert receipt.transaction.sender  # noqa: S101 - as Ape
        txn_dict["nonce"] = provider.get_nonce(receipt.transaction.sender)
        txn_dict.pop("signature", None)
        try:
            provider.web3.eth.call(cast(TxParams, txn_dict))
            err = None  # type: ignore[assignment]
        except (ValidationError, TransactionFailed, Web3ContractLogicError) as exc:
            err = exc
    if err is not None:
        vm_err = provider.get_virtual_machine_error(err, txn=receipt, set_ape_traceback=False)
        receipt.error = vm_err
        if txn.raise_on_revert:
            raise vm_err from err
    if txn.raise_on_revert:
        receipt.raise_for_status()  # the replay did not fail: as Ape


__all__ = [
    "CONSOLE_ADDRESS",
    "Outcome",
    "Outcomes",
    "calls_console",
    "can_send_directly",
    "formatted_latest_block",
    "formatted_receipt",
    "revert_failure",
    "send_transaction",
    "web3_formatted_receipt",
]
