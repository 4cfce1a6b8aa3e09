"""With coverage off (every normal `ape test` run) the coverage hooks trace and compile
nothing: a transaction's source traceback is ape-solidity's own (empty, as before) and no
pc tracer or coverage index is ever made."""

from __future__ import annotations

from ape_opengradient import coverage, coverage_frames


def test_nothing_is_traced_or_compiled_without_coverage(project, accounts):
    harness = accounts[0].deploy(project.TensorLibHarness)
    receipt = harness.nd.transact([2, 3], sender=accounts[0])
    assert not coverage.applies()
    assert len(receipt.source_traceback) == 0
    assert len(coverage_frames._tracers) == 0
    assert coverage._index_cache == {}
