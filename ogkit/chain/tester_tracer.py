"""The in-process tracer Ape's provider uses: geth's callTracer (tracing.py) and struct
logger (struct_logger.py) on an eth-tester chain, chosen by the request's options.

A subclass rather than a branch in `TesterTracer` because struct_logger.py builds on
tracing.py (its VMs are tracing VMs).
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI

from ogkit.chain.struct_logger import StructLogConfig, StructLogger, StructLogVMs, TraceTooLarge
from ogkit.chain.tracing import TesterTracer, TraceError, replay_transaction, transaction_gas_used


class AnyTracerTesterTracer(TesterTracer):
    """`TesterTracer` that also answers the struct logger (options: `StructLogConfig`)."""

    def __init__(self, backend: Any, services: Any) -> None:
        super().__init__(backend, services)
        self._struct_vms = StructLogVMs(self._vms.precompiles)

    def _vm(self, chain: Any, header: BlockHeaderAPI, options: Any = None) -> Any:
        if isinstance(options, StructLogConfig):
            return self._struct_vms.vm(chain, header, chain.chain_id)
        return super()._vm(chain, header, options)

    def _traced(self, state: Any, tx: Any, sender: bytes, what: str, options: Any) -> Any:
        if not isinstance(options, StructLogConfig):
            return super()._traced(state, tx, sender, what, options)
        logger = StructLogger(options)
        try:
            with logger.collecting():
                computation = replay_transaction(state, tx, what)
            return logger.result(computation, transaction_gas_used(state, tx, computation))
        except TraceTooLarge as exc:
            raise TraceError(str(exc)) from None
