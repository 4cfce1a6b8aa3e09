"""JSON-RPC 2.0 over the node's chain: parsing, dispatch, errors, batches.

`Rpc.handle(body)` takes the raw request body and returns the raw response body (or None
when every request was a notification). It never raises: malformed JSON is -32700, a
request that is not a request -32600, an unknown method -32601, bad params -32602, a
revert 3 (with the revert data), a refused transaction -32000, anything unexpected -32603.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
from eth_utils import keccak

from ogkit.inference import MockError
from ogkit.node import params as p
from ogkit.node.chain import MinedTx, NodeChain
from ogkit.node.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    InvalidParams,
    MethodNotFound,
    RpcError,
    ServerError,
)
from ogkit.node.filters import Filters
from ogkit.node.formatting import (
    addr,
    b,
    format_block,
    format_log,
    format_receipt,
    format_transaction,
    q,
    word,
)
from ogkit.node.tracing import trace_options
from precompiles.host import ModelExecutionError, ModelNotFound

log = logging.getLogger("ogkit.node")

MAX_BATCH = 1_000
"""Requests in one batch; a larger batch is refused as a whole (-32600)."""

Handler = Callable[[Any], Any]


MAX_NESTING = 64
"""JSON nesting depth a request may have. Deeper input is refused before parsing: py-evm
raises Python's recursion limit to 100,000, far past what the C stack can take, so
`json.loads` of 100,000 nested brackets would crash the process instead of raising."""

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def too_deep(body: bytes, limit: int = MAX_NESTING) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    steps = np.frombuffer(brackets, dtype=np.uint8)
    depth = np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
    return bool(depth.size) and int(depth.max()) > limit


def loads(body: bytes | str) -> Any:
    """`json.loads` that refuses NaN/Infinity and nesting deeper than `MAX_NESTING`."""
    raw = body.encode() if isinstance(body, str) else body
    if too_deep(raw):
        raise ValueError(f"JSON nested deeper than {MAX_NESTING} levels")
    return json.loads(raw, parse_constant=_no_constants)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _error(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


class Rpc:
    def __init__(
        self,
        node: NodeChain,
        client_version: str,
        request_log: Callable[[str], None] | None = None,
    ) -> None:
        self.node = node
        self.client_version = client_version
        self.request_log = request_log
        self.filters = Filters()
        self.methods: dict[str, Handler] = self._method_table()

    # ------------------------------------------------------------------ protocol

    def handle(self, body: bytes) -> bytes | None:
        try:
            payload = loads(body)
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            return encode(_error(None, PARSE_ERROR, f"parse error: {str(exc)[:200]}"))
        if isinstance(payload, list):
            if not payload:
                return encode(_error(None, INVALID_REQUEST, "empty batch"))
            if len(payload) > MAX_BATCH:
                return encode(
                    _error(None, INVALID_REQUEST, f"batch of {len(payload)} exceeds {MAX_BATCH}")
                )
            responses = [r for r in map(self.handle_one, payload) if r is not None]
            return encode(responses) if responses else None
        response = self.handle_one(payload)
        return encode(response) if response is not None else None

    def handle_one(self, request: Any) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return _error(None, INVALID_REQUEST, "a request must be a JSON object")
        request_id = request.get("id")
        if request_id is not None and (
            isinstance(request_id, bool) or not isinstance(request_id, str | int | float)
        ):
            return _error(None, INVALID_REQUEST, "id must be a string, a number or null")
        method = request.get("method")
        if not isinstance(method, str):
            return _error(request_id, INVALID_REQUEST, "method must be a string")
        if request.get("jsonrpc", "2.0") != "2.0":
            return _error(request_id, INVALID_REQUEST, 'jsonrpc must be "2.0"')
        if self.request_log is not None:
            self.request_log(method[:64])
        try:
            handler = self.methods.get(method)
            if handler is None:
                raise MethodNotFound(method[:64])
            result = handler(request.get("params"))
        except RpcError as exc:
            response = _error(request_id, exc.code, exc.message, exc.data)
        except RecursionError:
            response = _error(request_id, INTERNAL_ERROR, "internal error: nesting too deep")
        except Exception as exc:  # noqa: BLE001 - no request may take the node down
            traceback.print_exc(file=sys.stderr)
            response = _error(
                request_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"
            )
        else:
            response = {"jsonrpc": "2.0", "id": request_id, "result": result}
        if "id" not in request:
            return None  # a notification gets no response
        return response

    # ------------------------------------------------------------------ table

    def _method_table(self) -> dict[str, Handler]:
        table = {
            "web3_clientVersion": self.web3_client_version,
            "web3_sha3": self.web3_sha3,
            "net_version": self.net_version,
            "net_listening": lambda params: self._none(params, "net_listening") or True,
            "net_peerCount": lambda params: self._none(params, "net_peerCount") or "0x0",
            "eth_chainId": self.eth_chain_id,
            "eth_blockNumber": self.eth_block_number,
            "eth_accounts": self.eth_accounts,
            "eth_coinbase": lambda params: self._none(params, "eth_coinbase") or addr(b"\x00" * 20),
            "eth_mining": lambda params: self._none(params, "eth_mining") or self.node.automine,
            "eth_hashrate": lambda params: self._none(params, "eth_hashrate") or "0x0",
            "eth_syncing": lambda params: self._none(params, "eth_syncing") or False,
            "eth_protocolVersion": lambda params: (
                self._none(params, "eth_protocolVersion") or "0x41"
            ),
            "eth_getBalance": self.eth_get_balance,
            "eth_getTransactionCount": self.eth_get_transaction_count,
            "eth_getCode": self.eth_get_code,
            "eth_getStorageAt": self.eth_get_storage_at,
            "eth_call": self.eth_call,
            "eth_estimateGas": self.eth_estimate_gas,
            "eth_sendRawTransaction": self.eth_send_raw_transaction,
            "eth_sendTransaction": self.eth_send_transaction,
            "eth_getTransactionByHash": self.eth_get_transaction_by_hash,
            "eth_getTransactionReceipt": self.eth_get_transaction_receipt,
            "eth_getBlockByNumber": self.eth_get_block_by_number,
            "eth_getBlockByHash": self.eth_get_block_by_hash,
            "eth_getBlockReceipts": self.eth_get_block_receipts,
            "eth_getBlockTransactionCountByNumber": self.eth_get_block_tx_count_by_number,
            "eth_getBlockTransactionCountByHash": self.eth_get_block_tx_count_by_hash,
            "eth_getTransactionByBlockNumberAndIndex": self.eth_get_tx_by_number_and_index,
            "eth_getTransactionByBlockHashAndIndex": self.eth_get_tx_by_hash_and_index,
            "eth_getUncleCountByBlockNumber": lambda params: "0x0",
            "eth_getUncleCountByBlockHash": lambda params: "0x0",
            "eth_getLogs": self.eth_get_logs,
            "eth_newFilter": self.eth_new_filter,
            "eth_newBlockFilter": self.eth_new_block_filter,
            "eth_newPendingTransactionFilter": self.eth_new_pending_tx_filter,
            "eth_getFilterChanges": self.eth_get_filter_changes,
            "eth_getFilterLogs": self.eth_get_filter_logs,
            "eth_uninstallFilter": self.eth_uninstall_filter,
            "eth_gasPrice": lambda params: (
                self._none(params, "eth_gasPrice") or q(self.node.gas_price())
            ),
            "eth_maxPriorityFeePerGas": lambda params: (
                self._none(params, "eth_maxPriorityFeePerGas") or q(10**9)
            ),
            "eth_blobBaseFee": lambda params: self._none(params, "eth_blobBaseFee") or "0x1",
            "eth_feeHistory": self.eth_fee_history,
            "eth_sign": self.eth_sign,
            "personal_sign": self.personal_sign,
            "eth_signTypedData_v4": self.eth_sign_typed_data_v4,
            "eth_signTypedData": self.eth_sign_typed_data_v4,
            # dev methods
            "evm_snapshot": self.evm_snapshot,
            "evm_revert": self.evm_revert,
            "evm_mine": self.evm_mine,
            "anvil_mine": self.anvil_mine,
            "hardhat_mine": self.anvil_mine,
            "evm_increaseTime": self.evm_increase_time,
            "evm_setNextBlockTimestamp": self.evm_set_next_block_timestamp,
            "evm_setAutomine": self.evm_set_automine,
            "anvil_setAutomine": self.evm_set_automine,
            "anvil_getAutomine": lambda params: self.node.automine,
            "hardhat_getAutomine": lambda params: self.node.automine,
            "anvil_setBalance": self.anvil_set_balance,
            "hardhat_setBalance": self.anvil_set_balance,
            "anvil_setNonce": self.anvil_set_nonce,
            "hardhat_setNonce": self.anvil_set_nonce,
            "anvil_setCode": self.anvil_set_code,
            "hardhat_setCode": self.anvil_set_code,
            "anvil_setStorageAt": self.anvil_set_storage_at,
            "hardhat_setStorageAt": self.anvil_set_storage_at,
            "anvil_impersonateAccount": self.impersonate,
            "hardhat_impersonateAccount": self.impersonate,
            "anvil_stopImpersonatingAccount": self.stop_impersonating,
            "hardhat_stopImpersonatingAccount": self.stop_impersonating,
            "debug_setHead": self.debug_set_head,
            "debug_traceTransaction": self.debug_trace_transaction,
            "debug_traceCall": self.debug_trace_call,
            # OpenGradient additions
            "ogkit_getInferenceRecord": self.ogkit_get_inference_record,
            "ogkit_getBlockInferenceRecords": self.ogkit_get_block_inference_records,
            "ogkit_inferenceStats": self.ogkit_inference_stats,
            "ogkit_getModelRuns": self.ogkit_get_model_runs,
            "ogkit_mockModelOutput": self.ogkit_mock_model_output,
            "ogkit_removeModelMock": self.ogkit_remove_model_mock,
            "ogkit_clearModelMocks": self.ogkit_clear_model_mocks,
            "ogkit_waitForSettlement": self.ogkit_wait_for_settlement,
            "ogkit_setPipe": self.ogkit_set_pipe,
            "ogkit_pipe": self.ogkit_pipe,
            "ogkit_getPriceFeedRecords": self.ogkit_get_price_feed_records,
        }
        return table

    @staticmethod
    def _none(params: Any, method: str) -> None:
        p.Args(params, method, 0, 0)
        return None

    # ------------------------------------------------------------------ web3 / net / chain

    def web3_client_version(self, params: Any) -> str:
        p.Args(params, "web3_clientVersion")
        return self.client_version

    def web3_sha3(self, params: Any) -> str:
        a = p.Args(params, "web3_sha3", 1, 1)
        return b(keccak(p.data(a[0], "data")))

    def net_version(self, params: Any) -> str:
        p.Args(params, "net_version")
        return str(self.node.chain_id)

    def eth_chain_id(self, params: Any) -> str:
        p.Args(params, "eth_chainId")
        return q(self.node.chain_id)

    def eth_block_number(self, params: Any) -> str:
        p.Args(params, "eth_blockNumber")
        return q(self.node.block_number())

    def eth_accounts(self, params: Any) -> list[str]:
        p.Args(params, "eth_accounts")
        return [addr(a) for a in self.node.accounts]

    # ------------------------------------------------------------------ state

    def eth_get_balance(self, params: Any) -> str:
        a = p.Args(params, "eth_getBalance", 1, 2)
        return q(self.node.balance_of(p.address(a[0]), p.block_ref(a[1])))

    def eth_get_transaction_count(self, params: Any) -> str:
        a = p.Args(params, "eth_getTransactionCount", 1, 2)
        return q(self.node.nonce_of(p.address(a[0]), p.block_ref(a[1])))

    def eth_get_code(self, params: Any) -> str:
        a = p.Args(params, "eth_getCode", 1, 2)
        return b(self.node.code_of(p.address(a[0]), p.block_ref(a[1])))

    def eth_get_storage_at(self, params: Any) -> str:
        a = p.Args(params, "eth_getStorageAt", 2, 3)
        slot = p.quantity(a[1], "slot")
        return word(self.node.storage_of(p.address(a[0]), slot, p.block_ref(a[2])))

    # ------------------------------------------------------------------ execution

    def eth_call(self, params: Any) -> str:
        a = p.Args(params, "eth_call", 1, 3)
        if a[2] is not None:
            raise InvalidParams("eth_call: state overrides are not supported")
        return b(self.node.call(p.tx_params(a[0]), p.block_ref(a[1])))

    def eth_estimate_gas(self, params: Any) -> str:
        a = p.Args(params, "eth_estimateGas", 1, 3)
        if a[2] is not None:
            raise InvalidParams("eth_estimateGas: state overrides are not supported")
        return q(self.node.estimate_gas(p.tx_params(a[0]), p.block_ref(a[1])))

    def eth_send_raw_transaction(self, params: Any) -> str:
        a = p.Args(params, "eth_sendRawTransaction", 1, 1)
        return b(self.node.send_raw(p.data(a[0], "transaction")))

    def eth_send_transaction(self, params: Any) -> str:
        a = p.Args(params, "eth_sendTransaction", 1, 1)
        return b(self.node.send_transaction(p.tx_params(a[0])))

    # ------------------------------------------------------------------ blocks and txs

    def _tx_json(self, found: tuple) -> dict[str, Any]:
        tx, block, index = found
        base_fee = getattr(block.header, "base_fee_per_gas", None) if block else None
        return format_transaction(tx, self.node.sender_of(tx), block, index, base_fee)

    def eth_get_transaction_by_hash(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionByHash", 1, 1)
        found = self.node.find_transaction(p.hash32(a[0], "transaction hash"))
        return None if found is None else self._tx_json(found)

    def eth_get_transaction_receipt(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionReceipt", 1, 1)
        tx_hash = p.hash32(a[0], "transaction hash")
        with self.node.lock:
            found = self.node.find_transaction(tx_hash)
            if found is None or found[1] is None:
                return None
            tx, block, index = found
            receipts = self.node.receipts(block)
            return format_receipt(block, receipts, tx, index, self.node.sender_of(tx))

    def _block_json(self, ref: p.BlockRef, full: Any) -> dict[str, Any] | None:
        full = p.boolean(full, "full transactions") if full is not None else False
        with self.node.lock:
            found = self.node.block(ref)
            if found is None:
                return None
            block, pending = found
            return format_block(block, full, self.node.sender_of, pending)

    def eth_get_block_by_number(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getBlockByNumber", 1, 2)
        return self._block_json(p.block_ref(a[0], allow_hash=False), a[1])

    def eth_get_block_by_hash(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getBlockByHash", 1, 2)
        return self._block_json(p.BlockRef(hash=p.hash32(a[0], "block hash")), a[1])

    def eth_get_block_receipts(self, params: Any) -> list[dict[str, Any]] | None:
        a = p.Args(params, "eth_getBlockReceipts", 1, 1)
        with self.node.lock:
            found = self.node.block(p.block_ref(a[0]))
            if found is None or found[1]:
                return None
            block = found[0]
            receipts = self.node.receipts(block)
            return [
                format_receipt(block, receipts, tx, i, self.node.sender_of(tx))
                for i, tx in enumerate(block.transactions)
            ]

    def _tx_count(self, ref: p.BlockRef) -> str | None:
        found = self.node.block(ref)
        return None if found is None else q(len(found[0].transactions))

    def eth_get_block_tx_count_by_number(self, params: Any) -> str | None:
        a = p.Args(params, "eth_getBlockTransactionCountByNumber", 1, 1)
        return self._tx_count(p.block_ref(a[0], allow_hash=False))

    def eth_get_block_tx_count_by_hash(self, params: Any) -> str | None:
        a = p.Args(params, "eth_getBlockTransactionCountByHash", 1, 1)
        return self._tx_count(p.BlockRef(hash=p.hash32(a[0], "block hash")))

    def _tx_at(self, ref: p.BlockRef, index: int) -> dict[str, Any] | None:
        with self.node.lock:
            found = self.node.block(ref)
            if found is None or index >= len(found[0].transactions):
                return None
            block, pending = found
            return self._tx_json((block.transactions[index], None if pending else block, index))

    def eth_get_tx_by_number_and_index(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionByBlockNumberAndIndex", 2, 2)
        return self._tx_at(p.block_ref(a[0], allow_hash=False), p.quantity(a[1], "index"))

    def eth_get_tx_by_hash_and_index(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionByBlockHashAndIndex", 2, 2)
        return self._tx_at(p.BlockRef(hash=p.hash32(a[0], "block hash")), p.quantity(a[1]))

    # ------------------------------------------------------------------ logs and filters

    @staticmethod
    def _logs_json(found: list[tuple]) -> list[dict[str, Any]]:
        return [format_log(*entry) for entry in found]

    def eth_get_logs(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "eth_getLogs", 0, 1)
        return self._logs_json(self.node.logs(p.log_filter(a[0])))

    def eth_new_filter(self, params: Any) -> str:
        a = p.Args(params, "eth_newFilter", 0, 1)
        query = p.log_filter(a[0])
        return q(self.filters.add("log", self.node.block_number(), query))

    def eth_new_block_filter(self, params: Any) -> str:
        p.Args(params, "eth_newBlockFilter")
        return q(self.filters.add("block", self.node.block_number()))

    def eth_new_pending_tx_filter(self, params: Any) -> str:
        p.Args(params, "eth_newPendingTransactionFilter", 0, 1)
        return q(self.filters.add("pendingTransaction", self.node.block_number()))

    def eth_get_filter_changes(self, params: Any) -> list[Any]:
        a = p.Args(params, "eth_getFilterChanges", 1, 1)
        found = self.filters.get(p.quantity(a[0], "filter id"))
        with self.node.lock:
            head = self.node.block_number()
            since = min(found.last_block, head)
            if found.kind == "block":
                result: list[Any] = [b(h) for h in self.node.block_hashes_after(since)]
            elif found.kind == "pendingTransaction":
                result = [b(h) for h in self.node.tx_hashes_after(since)]
            else:
                query = found.query or p.LogFilter()
                if query.block_hash is not None:
                    result = [] if found.done else self._logs_json(self.node.logs(query))
                    found.done = True
                    return result
                result = self._logs_json(self.node.logs(query, from_number=since + 1))
            found.last_block = head
            return result

    def eth_get_filter_logs(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "eth_getFilterLogs", 1, 1)
        found = self.filters.get(p.quantity(a[0], "filter id"))
        if found.kind != "log":
            raise ServerError("filter is not a log filter")
        return self._logs_json(self.node.logs(found.query or p.LogFilter()))

    def eth_uninstall_filter(self, params: Any) -> bool:
        a = p.Args(params, "eth_uninstallFilter", 1, 1)
        return self.filters.remove(p.quantity(a[0], "filter id"))

    # ------------------------------------------------------------------ fees

    def eth_fee_history(self, params: Any) -> dict[str, Any]:
        a = p.Args(params, "eth_feeHistory", 2, 3)
        count = p.quantity(a[0], "blockCount", maximum=2**63)
        newest = p.block_ref(a[1], "newestBlock", allow_hash=False)
        percentiles = a[2] or []
        if not isinstance(percentiles, list) or len(percentiles) > 100:
            raise InvalidParams("rewardPercentiles: expected an array of at most 100 numbers")
        previous = -1.0
        for value in percentiles:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidParams("rewardPercentiles: expected numbers")
            if not 0 <= value <= 100 or value < previous:
                raise InvalidParams("rewardPercentiles: must rise monotonically within 0-100")
            previous = value
        history = self.node.fee_history(count, newest, [float(x) for x in percentiles])
        out: dict[str, Any] = {
            "oldestBlock": q(history["oldestBlock"]),
            "baseFeePerGas": [q(x) for x in history["baseFeePerGas"]],
            "gasUsedRatio": history["gasUsedRatio"],
            "baseFeePerBlobGas": [q(x) for x in history["baseFeePerBlobGas"]],
            "blobGasUsedRatio": history["blobGasUsedRatio"],
        }
        if "reward" in history:
            out["reward"] = [[q(x) for x in row] for row in history["reward"]]
        return out

    # ------------------------------------------------------------------ signing

    def eth_sign(self, params: Any) -> str:
        a = p.Args(params, "eth_sign", 2, 2)
        return b(self.node.sign_message(p.address(a[0]), p.data(a[1], "message")))

    def personal_sign(self, params: Any) -> str:
        a = p.Args(params, "personal_sign", 2, 3)
        return b(self.node.sign_message(p.address(a[1]), p.data(a[0], "message")))

    def eth_sign_typed_data_v4(self, params: Any) -> str:
        a = p.Args(params, "eth_signTypedData_v4", 2, 2)
        typed = a[1]
        if isinstance(typed, str):
            try:
                typed = loads(typed)
            except (ValueError, RecursionError):
                raise InvalidParams("typed data: not valid JSON") from None
        if not isinstance(typed, dict):
            raise InvalidParams("typed data: expected an object or a JSON string of one")
        return b(self.node.sign_typed_data(p.address(a[0]), typed))

    # ------------------------------------------------------------------ dev

    def evm_snapshot(self, params: Any) -> str:
        p.Args(params, "evm_snapshot")
        return q(self.node.snapshot())

    def evm_revert(self, params: Any) -> bool:
        a = p.Args(params, "evm_revert", 1, 1)
        return self.node.revert(p.quantity(a[0], "snapshot id", maximum=2**63))

    def evm_mine(self, params: Any) -> str:
        a = p.Args(params, "evm_mine", 0, 1)
        option = a[0]
        blocks, timestamp = 1, None
        if isinstance(option, dict):
            if option.get("timestamp") is not None:
                timestamp = p.quantity(option["timestamp"], "timestamp", maximum=2**63)
            if option.get("blocks") is not None:
                blocks = p.quantity(option["blocks"], "blocks", maximum=10_000)
        elif option is not None:
            timestamp = p.quantity(option, "timestamp", maximum=2**63)
        self.node.mine(blocks, timestamp)
        return "0x0"

    def anvil_mine(self, params: Any) -> None:
        a = p.Args(params, "anvil_mine", 0, 2)
        blocks = p.quantity(a[0], "blocks", maximum=10_000) if a[0] is not None else 1
        interval = p.quantity(a[1], "interval", maximum=2**32) if a[1] is not None else 1
        self.node.mine(blocks, None, interval)
        return None

    def evm_increase_time(self, params: Any) -> str:
        a = p.Args(params, "evm_increaseTime", 1, 1)
        return q(self.node.increase_time(p.quantity(a[0], "seconds", maximum=2**40)))

    def evm_set_next_block_timestamp(self, params: Any) -> None:
        a = p.Args(params, "evm_setNextBlockTimestamp", 1, 1)
        self.node.set_next_block_timestamp(p.quantity(a[0], "timestamp", maximum=2**63))
        return None

    def evm_set_automine(self, params: Any) -> None:
        a = p.Args(params, "evm_setAutomine", 1, 1)
        self.node.set_automine(p.boolean(a[0], "enabled"))
        return None

    def anvil_set_balance(self, params: Any) -> None:
        a = p.Args(params, "anvil_setBalance", 2, 2)
        self.node.set_balance(p.address(a[0]), p.quantity(a[1], "balance"))
        return None

    def anvil_set_nonce(self, params: Any) -> None:
        a = p.Args(params, "anvil_setNonce", 2, 2)
        self.node.set_nonce(p.address(a[0]), p.quantity(a[1], "nonce", maximum=2**64 - 1))
        return None

    def anvil_set_code(self, params: Any) -> None:
        a = p.Args(params, "anvil_setCode", 2, 2)
        self.node.set_code(p.address(a[0]), p.data(a[1], "code"))
        return None

    def anvil_set_storage_at(self, params: Any) -> bool:
        a = p.Args(params, "anvil_setStorageAt", 3, 3)
        slot = p.quantity(a[1], "slot")
        value = int.from_bytes(p.hash32(a[2], "value"), "big")
        self.node.set_storage(p.address(a[0]), slot, value)
        return True

    def impersonate(self, params: Any) -> None:
        a = p.Args(params, "anvil_impersonateAccount", 1, 1)
        self.node.impersonate(p.address(a[0]), True)
        return None

    def stop_impersonating(self, params: Any) -> None:
        a = p.Args(params, "anvil_stopImpersonatingAccount", 1, 1)
        self.node.impersonate(p.address(a[0]), False)
        return None

    def debug_set_head(self, params: Any) -> None:
        a = p.Args(params, "debug_setHead", 1, 1)
        self.node.set_head(p.quantity(a[0], "block number", maximum=2**63))
        return None

    def debug_trace_transaction(self, params: Any) -> dict[str, Any]:
        a = p.Args(params, "debug_traceTransaction", 1, 2)
        tx_hash = p.hash32(a[0], "transaction hash")
        options = trace_options(a[1], "debug_traceTransaction")
        return self.node.trace_transaction(tx_hash, options)

    def debug_trace_call(self, params: Any) -> dict[str, Any]:
        a = p.Args(params, "debug_traceCall", 1, 3)
        tx = p.tx_params(a[0])
        ref = p.block_ref(a[1])
        return self.node.trace_call(tx, ref, trace_options(a[2], "debug_traceCall"))

    # ------------------------------------------------------------------ ogkit

    def ogkit_get_inference_record(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "ogkit_getInferenceRecord", 1, 1)
        if not isinstance(a[0], str) or len(a[0]) > 80:
            raise InvalidParams("inference id: expected a hex string")
        return self.node.inference_record(a[0])

    def ogkit_get_block_inference_records(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "ogkit_getBlockInferenceRecords", 1, 1)
        ref = p.block_ref(a[0], allow_hash=False)
        header = self.node.header_for(ref)
        return [] if header is None else self.node.block_inference_records(header.block_number)

    def ogkit_wait_for_settlement(self, params: Any) -> dict[str, Any] | None:
        """Block until the inference's settlement is final (at most `timeout` seconds, 60 by
        default, capped at 300), then return its record; a record still pending is returned
        as it is, so the caller sees why."""
        a = p.Args(params, "ogkit_waitForSettlement", 1, 2)
        if not isinstance(a[0], str) or len(a[0]) > 80:
            raise InvalidParams("inference id: expected a hex string")
        timeout = a[1] if len(a) > 1 and a[1] is not None else 60
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0:
            raise InvalidParams("timeout: expected a number of seconds")
        try:
            self.node.engine.wait_for_settlement(a[0], min(float(timeout), 300.0))
        except (KeyError, TimeoutError):
            pass
        return self.node.inference_record(a[0])

    def ogkit_set_pipe(self, params: Any) -> bool:
        """Switch two-phase execution (PIPE) emulation on or off; returns the new setting."""
        a = p.Args(params, "ogkit_setPipe", 1, 1)
        if not isinstance(a[0], bool):
            raise InvalidParams("expected true or false")
        self.node.pipe = a[0]
        return self.node.pipe

    def ogkit_pipe(self, params: Any) -> bool:
        p.Args(params, "ogkit_pipe")
        return self.node.pipe

    def ogkit_get_price_feed_records(self, params: Any) -> list[dict[str, Any]]:
        """Signed records of the candles 0xF5 served in a block (eth_call's pending block too)."""
        a = p.Args(params, "ogkit_getPriceFeedRecords", 1, 1)
        return self.node.price_feed_records(p.quantity(a[0], "block number"))

    def ogkit_get_model_runs(self, params: Any) -> int:
        """How many times a model really ran (replays and mocked answers not counted)."""
        p.Args(params, "ogkit_getModelRuns")
        return self.node.engine.model_runs

    def ogkit_mock_model_output(self, params: Any) -> str:
        """[modelId, inputs, outputs]: answer `outputs` whenever the model gets exactly
        `inputs` ({name: number, string or nested array}), without running it; the record
        says `mocked: true`. Returns the mock's key for `ogkit_removeModelMock`."""
        a = p.Args(params, "ogkit_mockModelOutput", 3, 3)
        model_id, inputs, outputs = a[0], a[1], a[2]
        if not isinstance(model_id, str) or not 0 < len(model_id) <= 256:
            raise InvalidParams("model id: expected a non-empty string")
        for name, value in (("inputs", inputs), ("outputs", outputs)):
            if not isinstance(value, dict):
                raise InvalidParams(f"{name}: expected an object of tensor name to values")
        try:
            return "0x" + self.node.mock_model_output(model_id, inputs, outputs)
        except ModelNotFound:
            raise InvalidParams(f"model not found: {model_id}") from None
        except MockError as exc:
            raise InvalidParams(str(exc)) from None
        except ModelExecutionError as exc:
            raise ServerError(f"cannot load model {model_id}: {exc}") from None

    def ogkit_remove_model_mock(self, params: Any) -> bool:
        """Undo one `ogkit_mockModelOutput` by its key; false if no such mock is left."""
        a = p.Args(params, "ogkit_removeModelMock", 1, 1)
        if not isinstance(a[0], str) or len(a[0]) > 80:
            raise InvalidParams("mock key: expected a hex string")
        return self.node.remove_model_mock(a[0])

    def ogkit_clear_model_mocks(self, params: Any) -> int:
        """Remove every mock; returns how many (model, input) pairs were mocked."""
        p.Args(params, "ogkit_clearModelMocks")
        return self.node.clear_model_mocks()

    def ogkit_inference_stats(self, params: Any) -> dict[str, int]:
        """Model runs and cache use; `traceModelRuns` counts models a trace had to re-run."""
        p.Args(params, "ogkit_inferenceStats")
        return self.node.inference_stats()


def describe_mined(block_number: int, block_hash: bytes, tx: MinedTx) -> str:
    """One anvil-like log line per sealed transaction."""
    parts = [
        f"  tx 0x{tx.tx_hash.hex()}",
        f"block {block_number}",
        f"gas {tx.gas_used:,}",
        "ok" if tx.status else "REVERTED",
    ]
    if tx.contract:
        parts.append(f"created 0x{tx.contract.hex()}")
    for event in tx.inferences:
        parts.append(f"inference model={event.model_id} id=0x{event.inference_id}")
    return "  ".join(parts)
