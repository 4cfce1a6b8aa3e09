"""The executed pcs per call frame of a transaction or call, from this plugin's providers.

In process (`opengradient:local:test`): a re-execution noting pcs (ogkit/chain/pc_trace.py),
one `PcTracer` per chain backend. On `ogkit node` (`opengradient:local:node`): geth's struct
logs without stack or storage, plus its call tracer for which code each frame ran
(ogkit/chain/struct_log_frames.py), and `eth_getCode` for that code. Another provider: None.
"""

from __future__ import annotations

import weakref
from typing import Any

from ogkit.chain.pc_trace import Frame, PcTracer
from ogkit.chain.struct_log_frames import frames_from_struct_logs
from ogkit.chain.tracing import CallRequest

STRUCT_LOG_OPTIONS = {"disableStack": True, "disableStorage": True}
CALL_TRACER = {"tracer": "callTracer"}
_tracers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_warned: list[str] = []


def _kind(provider: Any) -> str | None:
    from ape_opengradient.node_provider import OGNodeProvider
    from ape_opengradient.provider import AIProvider

    if isinstance(provider, AIProvider):
        return "in-process"
    if isinstance(provider, OGNodeProvider):
        return "node"
    return None


def _pc_tracer(provider: Any) -> PcTracer:
    backend = provider.tester.backend
    tracer = _tracers.get(backend)
    if tracer is None:
        tracer = _tracers[backend] = PcTracer(backend, backend.services)
    return tracer


def for_trace(provider: Any, trace: Any) -> list[Frame] | None:
    """The frames of the run behind an Ape trace: a `TransactionTrace` (by hash) or a
    `CallTrace` (its transaction dict and block)."""
    kind = _kind(provider)
    if kind is None:
        return None
    tx_hash = getattr(trace, "transaction_hash", None)
    if tx_hash is not None:
        if kind == "in-process":
            return _pc_tracer(provider).transaction_frames(bytes.fromhex(_hex(tx_hash)))
        tx_hash = "0x" + _hex(tx_hash)
        block = _tx_block(provider, tx_hash)
        return _node_frames(provider, "debug_traceTransaction", [tx_hash], block)
    tx = dict(getattr(trace, "tx", {}) or {})
    block = (getattr(trace, "arguments", None) or ["latest"])[0]
    if kind == "in-process":
        return _pc_tracer(provider).call_frames(_call_request(tx, block))
    return _node_frames(provider, "debug_traceCall", [tx, block], block)


def for_call(provider: Any, txn: Any, block_id: Any = None) -> list[Frame] | None:
    """The frames of `txn` run as an `eth_call` at `block_id` (None: latest)."""
    kind = _kind(provider)
    if kind is None:
        return None
    tx = {
        "from": txn.sender,
        "to": txn.receiver,
        "data": "0x" + bytes(txn.data).hex(),
        "value": hex(int(txn.value or 0)),
    }
    block = block_id if block_id is not None else "latest"
    if kind == "in-process":
        return _pc_tracer(provider).call_frames(_call_request(tx, block))
    if isinstance(block, int):
        block = hex(block)
    tx = {k: v for k, v in tx.items() if v is not None}
    return _node_frames(provider, "debug_traceCall", [tx, block], block)


def _hex(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return str(value).removeprefix("0x")


def _address(value: Any) -> bytes | None:
    return bytes.fromhex(_hex(value)) if value else None


def _call_request(tx: dict[str, Any], block: Any) -> CallRequest:
    data = tx.get("data") or tx.get("input") or b""
    data = bytes.fromhex(_hex(data)) if not isinstance(data, bytes) else data
    value = tx.get("value") or 0
    value = int(value, 16) if isinstance(value, str) else int(value)
    if isinstance(block, str) and block.startswith("0x") and len(block) < 66:
        block = int(block, 16)
    return CallRequest(_address(tx.get("from")), _address(tx.get("to")), data, value, None, block)


def _tx_block(provider: Any, tx_hash: Any) -> Any:
    receipt = provider.make_request("eth_getTransactionReceipt", [tx_hash])
    return (receipt or {}).get("blockNumber") or "latest"


def _node_frames(provider: Any, method: str, params: list, block: Any) -> list[Frame]:
    try:
        logs = provider.make_request(method, [*params, STRUCT_LOG_OPTIONS])
    except Exception as exc:  # noqa: BLE001 - no struct logger, or the trace is too large
        message = f"No statement coverage from this node for a {method}: {exc}"
        if message not in _warned:
            from ape.logging import logger

            logger.warning(message)
            _warned.append(message)
        return []
    tree = provider.make_request(method, [*params, CALL_TRACER])
    frames = []
    codes: dict[str, bytes] = {}
    for logged in frames_from_struct_logs(logs.get("structLogs") or [], tree):
        if logged.is_create or not logged.address:
            continue
        if logged.address not in codes:
            code = provider.make_request("eth_getCode", [logged.address, block])
            codes[logged.address] = bytes.fromhex(_hex(code))
        address = bytes.fromhex(_hex(logged.address))
        frames.append(Frame(address, codes[logged.address], logged.depth, False, logged.pcs))
    return frames
