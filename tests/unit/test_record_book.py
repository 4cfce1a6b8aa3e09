"""The record book: checked settlement transitions, today's settlement texts, the two
"ready to settle" queries, pruning, listeners and ids in any public form."""

from __future__ import annotations

import threading

import pytest

from ogkit.inference.book import RecordBook
from ogkit.inference.records import (
    IllegalTransition,
    InferenceRecord,
    SettlementState,
    SettlementTimeout,
    record_key,
)
from ogkit.tee.enclave import SignedResult
from precompiles.inference.types import ModelInferenceMode

S = SettlementState


def make(n: int, mode=ModelInferenceMode.TEE, state=S.PENDING, block: int = 1):
    signature = SignedResult(b"\x07" * 32, b"\x02" * 32, b"\x03" * 32, 5, b"\x08" * 32, b"s")
    return InferenceRecord(
        inference_id=f"{n:064x}",
        model_hash=b"\x01" * 32,
        input_hash=b"\x02" * 32,
        output_hash=b"\x03" * 32,
        mode=mode,
        block_number=block,
        state=state,
        tee_signature=signature if mode is ModelInferenceMode.TEE else None,
    )


def test_settlement_texts_are_todays():
    book = RecordBook()
    tee, zk = book.put(make(1)), book.put(make(2, ModelInferenceMode.ZK))
    assert (tee.settlement, zk.settlement) == ("pending", "pending")
    book.settled(tee, "0xabc")
    assert tee.settlement == "settled 0xabc" and tee.settlement_tx == "0xabc"
    book.proving(zk)
    assert zk.settlement == "proving"
    book.proved(zk, proof=None)
    assert zk.settlement == "proved"
    book.failed(zk, "Already settled")
    assert zk.settlement == "failed: Already settled"
    batched = book.put(make(3))
    book.settled(batched, "0xdef", b"\xaa" * 32, (b"\xbb" * 32,))
    assert batched.settlement == f"settled 0xdef in batch 0x{'aa' * 32}"
    assert batched.merkle_proof == (b"\xbb" * 32,)
    assert make(4, ModelInferenceMode.VANILLA, S.NOT_REQUIRED).settlement == "not required"
    assert make(5, state=S.MOCKED).settlement == "mocked"


def test_illegal_moves_are_refused():
    book = RecordBook()
    vanilla = book.put(make(1, ModelInferenceMode.VANILLA, S.NOT_REQUIRED))
    with pytest.raises(IllegalTransition):
        book.settled(vanilla, "0x1")
    zk = book.put(make(2, ModelInferenceMode.ZK))
    with pytest.raises(IllegalTransition):
        book.proved(zk, None)  # not proving yet
    tee = book.put(make(3))
    book.settled(tee, "0x1")
    with pytest.raises(IllegalTransition):
        book.failed(tee, "late")
    book.reopen(tee)
    assert tee.settlement == "pending" and tee.settlement_tx is None


def test_ready_queries_and_head():
    book = RecordBook()
    tee = book.put(make(1, block=1))
    later = book.put(make(2, block=9))
    zk = book.put(make(3, ModelInferenceMode.ZK, block=1))
    book.put(make(4, ModelInferenceMode.VANILLA, S.NOT_REQUIRED))
    assert book.ready_for_tee(head=5) == [tee] and book.ready_for_zk(head=5) == []
    assert book.ready_for_tee() == [tee, later]
    book.proving(zk)
    assert not book.ready_for_zk()
    book.proved(zk, proof=None)
    assert book.ready_for_zk(head=1) == [zk] and book.has_work()
    book.settled(tee, "0x1")
    book.settled(later, "0x2")
    book.failed(zk, "x")
    assert not book.has_work() and len(book.unsettled) == 0


def test_final_records_are_pruned_oldest_first_pending_never():
    book = RecordBook(max_final=2)
    pending = book.put(make(1))
    finals = [book.put(make(n, ModelInferenceMode.VANILLA, S.NOT_REQUIRED)) for n in (2, 3, 4)]
    assert list(book.records.values()) == [pending, *finals[1:]]
    book.settled(pending, "0x1")  # now final and newest: the oldest final one goes
    assert list(book.records.values()) == [pending, finals[2]]  # in the order made


def test_a_reopened_record_is_pending_again_and_never_pruned():
    book = RecordBook(max_final=1)
    record = book.put(make(1))
    book.settled(record, "0xabc")
    book.reopen(record)
    assert record.settlement == "pending" and book.unsettled[record.key] is record
    for n in (2, 3):  # two final records push out the oldest final one, not the pending one
        book.put(make(n, ModelInferenceMode.VANILLA, S.NOT_REQUIRED))
    assert book.get(record.key) is record and book.ready_for_tee() == [record]
    assert len(book) == 2


def test_ids_in_any_public_form_and_forget_after():
    book = RecordBook()
    record = book.put(make(0xAB, block=3))
    bare = record.inference_id
    assert record.key == record_key("0x" + bare.upper()) == bytes.fromhex(bare)
    assert book.get(bytes.fromhex(bare)) is book.records["0x" + bare] is record
    assert bare in book.unsettled and list(book.records) == [bare]
    assert book.forget_after(3) == 0 and book.forget_after(2) == 1
    assert bare not in book.records and bare not in book.unsettled


def test_listeners_and_waiters_see_each_change():
    book = RecordBook()
    record = book.put(make(1))
    seen: list[str] = []
    book.listeners.append(lambda r: seen.append(r.settlement))
    with pytest.raises(SettlementTimeout, match="still 'pending'"):
        book.wait_for_settlement("0x" + record.inference_id, timeout=0.01)
    with pytest.raises(KeyError):
        book.wait_for_settlement(b"\x00" * 32, timeout=0.01)
    threading.Timer(0.05, book.settled, (record, "0x9")).start()
    assert book.wait_for_settlement(record.key, timeout=5) is record
    assert seen == ["settled 0x9"]


def test_the_public_edges_take_an_id_as_bytes_too():
    from ape_opengradient.inference_api import _bare_id

    key = bytes.fromhex("ab" * 32)
    assert _bare_id(key) == _bare_id("0x" + "AB" * 32) == _bare_id("ab" * 32) == "ab" * 32


def test_a_new_block_wakes_the_service_only_while_a_record_is_unsettled():
    book = RecordBook()
    woken: list[int] = []
    book.work.notify_all = lambda: woken.append(1)  # type: ignore[method-assign]
    book.put(make(1, ModelInferenceMode.VANILLA, S.NOT_REQUIRED))  # final: no work
    book.new_block()
    assert woken == []
    record = book.put(make(2))  # pending (and `put` wakes it once itself)
    book.new_block()
    assert woken == [1, 1]
    book.settled(record, "0x1")
    woken.clear()
    book.new_block()
    assert woken == []
