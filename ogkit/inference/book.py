"""`RecordBook`: every inference record of one inference node, behind one lock.

The engines add records, the prover queue and the settlers move them through the named
transitions, the settlement service asks the two "ready" queries, the node listens to persist
each change, and the chain's snapshot reverts call `forget_after`. Final records beyond
`max_final` are pruned oldest first (the node's database keeps them); pending ones never are.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from ogkit.inference.records import (
    _LEGAL,
    IllegalTransition,
    InferenceId,
    InferenceRecord,
    RecordView,
    SettlementState,
    SettlementTimeout,
    record_key,
)
from precompiles.inference.types import ModelInferenceMode

Listener = Callable[[InferenceRecord], None]
DEFAULT_MAX_FINAL = 100_000
"""Final records kept in memory: enough for any test session or demo, bounded for a node."""


class RecordBook:
    """Records by bytes32 id; `changed` wakes every waiter, `work` only the settlement service
    (both on the book's one lock), so a VANILLA inference never wakes the service's thread."""

    def __init__(self, max_final: int = DEFAULT_MAX_FINAL) -> None:
        self.max_final = max_final
        self._records: dict[InferenceId, InferenceRecord] = {}
        self._unsettled: dict[InferenceId, InferenceRecord] = {}
        self._final: OrderedDict[InferenceId, None] = OrderedDict()
        lock = threading.RLock()
        self.changed = threading.Condition(lock)
        """Notified when a record is made, forgotten or its settlement changes."""
        self.work = threading.Condition(lock)
        """Notified only when there may be something to settle."""
        self.listeners: list[Listener] = []
        """Called (outside the lock) after a record's settlement changed: the node persists."""

    # --- reading ----------------------------------------------------------------------

    @property
    def records(self) -> RecordView:
        return RecordView(self)

    @property
    def unsettled(self) -> RecordView:
        """The records whose settlement can still change (what the settlers look at)."""
        return RecordView(self, unsettled=True)

    def get(self, inference_id: str | bytes) -> InferenceRecord | None:
        return self._records.get(record_key(inference_id))

    def __len__(self) -> int:
        return len(self._records)

    def ready_for_tee(self, head: int | None = None) -> list[InferenceRecord]:
        """Signed TEE records (models and LLMs) awaiting settlement whose block is at or
        below `head` (a later one waits for its block): the one place this check lives."""
        with self.changed:
            return [
                r
                for r in self._unsettled.values()
                if r.state is SettlementState.PENDING
                and r.tee_signature is not None
                and (head is None or r.block_number <= head)
            ]

    def ready_for_zk(self, head: int | None = None) -> list[InferenceRecord]:
        """Proved ZK records whose block is at or below `head`."""
        with self.changed:
            return [
                r
                for r in self._unsettled.values()
                if r.state is SettlementState.PROVED
                and r.mode is ModelInferenceMode.ZK
                and (head is None or r.block_number <= head)
            ]

    def new_block(self) -> None:
        """A block was sealed: a record waiting for its block may be ready now, so wake
        the service, but only if some record is unsettled (the node seals a block per
        transaction: waking an idle service each time cost a thread switch per block)."""
        if self._unsettled:  # a dict's truth is read atomically; a record put later wakes it
            with self.work:
                self.work.notify_all()

    def has_work(self) -> bool:
        """Is anything ready for a settler? (A ZK record still proving wakes it when proved.)"""
        return bool(self.ready_for_tee() or self.ready_for_zk())

    # --- writing ----------------------------------------------------------------------

    def put(self, record: InferenceRecord) -> InferenceRecord:
        """Add (or replace: an id made again after a revert, a replay) a record."""
        with self.changed:
            self._records[record.key] = record
            self._file(record)
            if not record.is_final:
                self.work.notify_all()
            self.changed.notify_all()
        return record

    def remove(self, inference_id: str | bytes) -> None:
        key = record_key(inference_id)
        with self.changed:
            if key not in self._records:
                raise KeyError(key)
            self._drop(key)
            self.changed.notify_all()

    def forget_after(self, block_number: int) -> int:
        """Drop the records of blocks after `block_number` (a snapshot revert or reorg removed
        them), so nothing settles them; returns how many went."""
        with self.changed:
            gone = [k for k, r in self._records.items() if r.block_number > block_number]
            for key in gone:
                self._drop(key)
            if gone:
                self.changed.notify_all()
        return len(gone)

    def _file(self, record: InferenceRecord) -> None:
        """Put a book record under final (pruned oldest first) or unsettled, and out of the
        other: the one place a record changes side, whether put or moved (a reopened record
        must not stay among the final ones, where pruning would drop it)."""
        key = record.key
        self._final.pop(key, None)
        if record.is_final:
            self._unsettled.pop(key, None)
            self._final[key] = None
            self._prune()
        else:
            self._unsettled[key] = record

    def _drop(self, key: InferenceId) -> None:
        del self._records[key]
        self._unsettled.pop(key, None)
        self._final.pop(key, None)

    def _prune(self) -> None:
        while len(self._final) > self.max_final:
            key, _ = self._final.popitem(last=False)
            self._records.pop(key, None)

    # --- transitions ------------------------------------------------------------------

    def queued(self, record: InferenceRecord) -> None:
        """ZK: handed to the prover queue (the record stays PENDING)."""
        self._move(record, "queued", SettlementState.PENDING, notify=False)

    def proving(self, record: InferenceRecord) -> None:
        self._move(record, "proving", SettlementState.PROVING, notify=False)

    def proved(self, record: InferenceRecord, proof: object, verified: bool = True) -> None:
        self._move(record, "proved", SettlementState.PROVED, zk_proof=proof, zk_verified=verified)

    def settled(
        self,
        record: InferenceRecord,
        tx: str,
        batch_root: bytes | None = None,
        merkle_proof: tuple[bytes, ...] = (),
    ) -> None:
        """Settled by `tx` (alone, or in the Merkle batch `batch_root` with this record's
        `merkle_proof`)."""
        self._move(
            record,
            "settled",
            SettlementState.SETTLED,
            settlement_tx=tx,
            merkle_root=batch_root,
            merkle_proof=tuple(merkle_proof),
        )

    def failed(self, record: InferenceRecord, reason: str) -> None:
        self._move(record, "failed", SettlementState.FAILED, reason=reason)

    def reopen(self, record: InferenceRecord) -> None:
        """A settled or failed TEE record back to PENDING: settle it again (the relay refuses
        a replay; a test proves that)."""
        self._move(
            record,
            "reopen",
            SettlementState.PENDING,
            reason=None,
            settlement_tx=None,
            merkle_root=None,
            merkle_proof=(),
        )

    def _move(
        self,
        record: InferenceRecord,
        name: str,
        state: SettlementState,
        notify: bool = True,
        **fields: object,
    ) -> None:
        with self.changed:
            if record.state not in _LEGAL[name]:
                raise IllegalTransition(
                    f"inference {record.inference_id}: {name} from {record.state.name}"
                )
            for field, value in fields.items():
                setattr(record, field, value)
            record.state = state
            if self._records.get(record.key) is record:
                self._file(record)
            self.work.notify_all()
            self.changed.notify_all()
        if notify:
            for listener in list(self.listeners):
                listener(record)

    # --- waiting ----------------------------------------------------------------------

    def wait_for_settlement(
        self, inference_id: str | bytes, timeout: float = 60.0
    ) -> InferenceRecord:
        """Block until the record is final (settled, failed, not required or mocked).

        Raises `KeyError` if no committed transaction made the record within `timeout`, and
        `SettlementTimeout` (with the last state) if it stays pending.
        """
        key = record_key(inference_id)
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                record = self._records.get(key)
                if record is not None and record.is_final:
                    return record
                left = deadline - time.monotonic()
                if left <= 0:
                    shown = _shown(inference_id)
                    if record is None:
                        raise KeyError(f"no inference record {shown}")
                    raise SettlementTimeout(
                        f"inference {shown} still {record.settlement!r} after {timeout} s"
                    )
                self.changed.wait(left)

    def wait_until(
        self,
        record: InferenceRecord,
        done: Callable[[InferenceRecord], bool],
        timeout: float | None,
    ) -> bool:
        """Block until `done(record)` holds (False after `timeout`)."""
        with self.changed:
            return self.changed.wait_for(lambda: done(record), timeout=timeout)


def _shown(inference_id: str | bytes) -> str:
    if isinstance(inference_id, bytes | bytearray):
        return bytes(inference_id).hex()
    return inference_id.lower().removeprefix("0x")
