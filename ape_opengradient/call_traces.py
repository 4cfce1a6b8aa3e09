"""`debug_traceTransaction` / `debug_traceCall` (geth's callTracer and struct logger) for the
in-process provider.

eth-tester answers no tracing RPC, so `AIProvider.make_request` hands these two here: the
parameters are read as `ogkit node` reads them (the same validation, the same messages) and
the trace is made in-process (`ogkit.chain.tester_tracer`). Ape's `TransactionTrace` asks for
the callTracer with `TraceApproach.GETH_CALL_TRACER`, which gives `show_trace()`,
`get_calltree()` and `ape test --gas` their call trees; the struct logger (no `tracer`) is
what Ape's raw frames (`trace.get_raw_frames()`) and other tools ask for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ape.exceptions import ProviderError

from ogkit.chain.tracing import CallRequest, TesterTracer, TraceError
from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import RpcError
from ogkit.node.rpc.methods.debug import tracer_options


def answer(tracer: TesterTracer, method: str, parameters: Iterable | None) -> dict[str, Any]:
    """The trace for `debug_traceTransaction` or `debug_traceCall` (callTracer frames or struct
    logs); Ape's exceptions on bad requests."""
    try:
        if method == "debug_traceTransaction":
            a = p.Args(list(parameters or []), method, 1, 2)
            tx_hash = p.hash32(a[0], "transaction hash")
            return tracer.trace_transaction(tx_hash, tracer_options(a[1], method, 1))
        a = p.Args(list(parameters or []), method, 1, 3)
        tx = p.tx_params(a[0])
        call = CallRequest(tx.sender, tx.to, tx.data, tx.value, tx.gas, _block(p.block_ref(a[1])))
        return tracer.trace_call(call, tracer_options(a[2], method, 2))
    except (RpcError, TraceError) as exc:
        raise ProviderError(str(exc)) from None


def items(result: Any, iter_path: str) -> Iterator[Any]:
    """The items at ijson's `iter_path` ("result.structLogs.item") of a JSON-RPC `result`."""
    keys = iter_path.split(".")
    if keys[:1] == ["result"]:
        keys = keys[1:]
    if keys[-1:] == ["item"]:
        keys = keys[:-1]
    for key in keys:
        result = result[key]
    yield from result


def _block(ref: p.BlockRef) -> str | int | bytes:
    if ref.hash is not None:
        return ref.hash
    if ref.number is not None:
        return ref.number
    return ref.tag or "latest"
