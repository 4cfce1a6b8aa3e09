"""`debug_*`: moving the head back (`debug_setHead`) and geth's tracers: the struct logger
(the default, as in geth and anvil: no `tracer` given) and `callTracer`, for one transaction,
one call, or each transaction of a block."""

from __future__ import annotations

from typing import Any

from ogkit.chain.struct_logger import StructLogConfig
from ogkit.node.chain.tracing import Options
from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import InvalidParams
from ogkit.node.rpc.methods.base import Handler, Methods
from ogkit.node.rpc.overrides import state_overrides
from ogkit.node.rpc.params import trace_options

TRACERS = ("callTracer",)
"""The named tracers ogkit node has (besides the default struct logger)."""


def tracer_options(value: Any, method: str, position: int) -> Options:
    """The trace options object (the param at `position`): `callTracer`'s, or the struct
    logger's (geth's top-level `disableStack`, `enableMemory`, `disableStorage`,
    `enableReturnData`, `limit`); a wrong type in geth's words."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidParams(f"{method}: the trace options must be an object")
    tracer = value.get("tracer")
    if tracer in TRACERS:
        return trace_options(value, method)
    if tracer not in (None, ""):
        raise InvalidParams(
            f"{method}: tracer {str(tracer)[:40]!r} not found; ogkit node has "
            '"callTracer" and the default struct logger (no "tracer")'
        )
    for key in ("stateOverrides", "blockOverrides"):
        if value.get(key) is not None:
            raise InvalidParams(f"{method}: {key} are not supported")
    try:
        return StructLogConfig.from_json(value)
    except ValueError as exc:
        raise InvalidParams(f"invalid argument {position}: {exc}") from None


class DebugMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "debug_setHead": self.debug_set_head,
            "debug_traceTransaction": self.debug_trace_transaction,
            "debug_traceCall": self.debug_trace_call,
            "debug_traceBlockByNumber": self.debug_trace_block_by_number,
            "debug_traceBlockByHash": self.debug_trace_block_by_hash,
        }

    def debug_set_head(self, params: Any) -> None:
        a = p.Args(params, "debug_setHead", 1, 1)
        self.node.set_head(p.quantity(a[0], "block number", maximum=2**63))
        return None

    def debug_trace_transaction(self, params: Any) -> dict[str, Any]:
        a = p.Args(params, "debug_traceTransaction", 1, 2)
        tx_hash = p.hash32(a[0], "transaction hash")
        options = tracer_options(a[1], "debug_traceTransaction", 1)
        return self.node.trace_transaction(tx_hash, options)

    def debug_trace_call(self, params: Any) -> dict[str, Any]:
        """geth's `debug_traceCall`, with its `stateOverrides` (as `eth_call`'s third param)."""
        a = p.Args(params, "debug_traceCall", 1, 3)
        tx = p.tx_params(a[0])
        ref = p.block_ref(a[1])
        config = a[2]
        overrides = None
        if isinstance(config, dict) and "stateOverrides" in config:
            config = {k: v for k, v in config.items() if k != "stateOverrides"}
            overrides = state_overrides(a[2]["stateOverrides"])
        options = tracer_options(config, "debug_traceCall", 2)
        return self.node.tracer.trace_call(tx, ref, options, self.node.pipe, overrides)

    def debug_trace_block_by_number(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "debug_traceBlockByNumber", 1, 2)
        ref = p.block_ref(a[0], "block number", allow_hash=False)
        options = tracer_options(a[1], "debug_traceBlockByNumber", 1)
        return self.node.tracer.trace_block(ref, options)

    def debug_trace_block_by_hash(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "debug_traceBlockByHash", 1, 2)
        ref = p.BlockRef(hash=p.hash32(a[0], "block hash"))
        options = tracer_options(a[1], "debug_traceBlockByHash", 1)
        return self.node.tracer.trace_block(ref, options)
