"""`debug_*`: moving the head back (`debug_setHead`) and geth's call tracer."""

from __future__ import annotations

from typing import Any

from ogkit.node.rpc import params as p
from ogkit.node.rpc.methods.base import Handler, Methods
from ogkit.node.rpc.params import trace_options


class DebugMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "debug_setHead": self.debug_set_head,
            "debug_traceTransaction": self.debug_trace_transaction,
            "debug_traceCall": self.debug_trace_call,
        }

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
