"""Inference records follow the chain back: a snapshot revert or a reset takes the records
of the blocks it removed with it.

Without this, a record made in a block that a test's snapshot revert (Ape's isolation between
tests) threw away stays pending, and the settlement service settles it later, in blocks of a
test that never made it.
"""

from __future__ import annotations

from typing import Any, Protocol


class RecordBook(Protocol):
    def forget_after(self, block_number: int) -> int: ...


class RecordsFollowRevertsMixin:
    """For `PyEVMBackend` subclasses (listed before it); `record_books()` names the books."""

    def record_books(self) -> list[RecordBook]:
        return []

    def _forget_reverted_records(self) -> None:
        head = self.chain.get_canonical_head().block_number  # type: ignore[attr-defined]
        for book in self.record_books():
            book.forget_after(head)

    def revert_to_snapshot(self, snapshot: Any) -> None:
        super().revert_to_snapshot(snapshot)  # type: ignore[misc]
        self._forget_reverted_records()

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        super().reset_to_genesis(*args, **kwargs)  # type: ignore[misc]
        self._forget_reverted_records()
