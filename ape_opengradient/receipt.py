"""Ape's receipt on the AI chain: the transaction's inferences beside its logs."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ape_ethereum.transactions import Receipt


class InferenceReceipt(Receipt):
    """`receipt.inferences`: one entry per 0xF4 call (function, selector, inference id, mode,
    model, caller, model/input/output hashes, settlement), as `ogkit node` puts them in its
    receipts. Read when asked, so the settlement shown is the current one."""

    @property
    def inferences(self) -> list[dict[str, Any]]:
        og = getattr(self.provider, "og", None)
        return [] if og is None else og.precompile_calls(self.txn_hash)

    @cached_property
    def debug_logs_typed(self) -> list[tuple[Any]]:
        """Ape's, without re-executing the transaction (a trace) when its own execution never
        called the console address: then it logged nothing (ape_opengradient/direct.py)."""
        calls_console = getattr(self.provider, "calls_console", None)
        if calls_console is not None and calls_console(self.txn_hash) is False:
            return []
        return Receipt.debug_logs_typed.func(self)
