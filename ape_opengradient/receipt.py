"""Ape's receipt on the AI chain: the transaction's inferences beside its logs."""

from __future__ import annotations

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
