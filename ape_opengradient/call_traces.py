"""`debug_traceTransaction` / `debug_traceCall` (geth's callTracer) for the in-process provider.

eth-tester answers no tracing RPC, so `AIProvider.make_request` hands these two here: the
parameters are read as `ogkit node` reads them (the same validation, the same messages) and
the trace is made in-process (`ogkit.chain.tracing.TesterTracer`). Ape's `TransactionTrace`
asks for exactly this with `TraceApproach.GETH_CALL_TRACER`, which gives `show_trace()`,
`get_calltree()` and `ape test --gas` their call trees.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ape.exceptions import APINotImplementedError, ProviderError

from ogkit.chain.tracing import CallRequest, TesterTracer, TraceError
from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import MethodNotFound, RpcError


def answer(tracer: TesterTracer, method: str, parameters: Iterable | None) -> dict[str, Any]:
    """The callTracer frames for `debug_traceTransaction` or `debug_traceCall`; Ape's
    exceptions on bad requests."""
    try:
        if method == "debug_traceTransaction":
            a = p.Args(list(parameters or []), method, 1, 2)
            tx_hash = p.hash32(a[0], "transaction hash")
            return tracer.trace_transaction(tx_hash, p.trace_options(a[1], method))
        a = p.Args(list(parameters or []), method, 1, 3)
        tx = p.tx_params(a[0])
        call = CallRequest(tx.sender, tx.to, tx.data, tx.value, tx.gas, _block(p.block_ref(a[1])))
        return tracer.trace_call(call, p.trace_options(a[2], method))
    except MethodNotFound as exc:  # the struct logger: Ape then knows not to ask again
        raise APINotImplementedError(exc.message) from None
    except (RpcError, TraceError) as exc:
        raise ProviderError(str(exc)) from None


def _block(ref: p.BlockRef) -> str | int | bytes:
    if ref.hash is not None:
        return ref.hash
    if ref.number is not None:
        return ref.number
    return ref.tag or "latest"
