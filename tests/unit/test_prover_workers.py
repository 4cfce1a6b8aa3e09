"""The prover queue's workers: `provers` ZK proofs at once, each record moved
PENDING -> PROVING -> PROVED/FAILED exactly once, a failure confined to its record, a record a
revert dropped left unproved, and `stop()` leaving no child process or worker behind.

Real ezkl proofs of `upstream_demo` (its ZK setup in the session's store, reused; ~8 s once
otherwise), in each worker's long-lived child process; a proof takes ~0.05 s at logrows 6, a
child ~1 s to start, more under load.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

pytest.importorskip("ezkl", reason="ZK mode needs the ezkl package (pip install ezkl==23.0.5)")

from og_examples.models import sample_input  # noqa: E402
from ogkit import zk  # noqa: E402
from ogkit.inference.book import RecordBook  # noqa: E402
from ogkit.inference.prover_queue import ProverQueue, default_provers  # noqa: E402
from ogkit.inference.records import InferenceRecord, SettlementState  # noqa: E402
from ogkit.models.cid import sha256_of_cid  # noqa: E402
from ogkit.models.onnx_runtime import OnnxModel  # noqa: E402
from ogkit.models.store import ModelStore  # noqa: E402
from ogkit.zk.isolated import STOPPED  # noqa: E402
from precompiles.inference.types import ModelInferenceMode  # noqa: E402

MODEL = "upstream_demo"
TIMEOUT_S = 300
BAD_INPUT = {"input": np.array([1e9, -1e9], dtype=np.float32)}
"""Far outside the circuit's range: ezkl fails in the child ("General synthesis error")."""


class CountingBook(RecordBook):
    """A real record book that also notes every transition, with when it happened."""

    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[str, str, float]] = []

    def _move(self, record, name, state, notify=True, **fields) -> None:
        super()._move(record, name, state, notify, **fields)
        with self.changed:
            self.moves.append((record.inference_id, name, time.monotonic()))

    def names(self, record: InferenceRecord) -> list[str]:
        with self.changed:
            return [name for rid, name, _ in self.moves if rid == record.inference_id]

    def at(self, record: InferenceRecord, name: str) -> float:
        (when,) = [t for rid, n, t in self.moves if rid == record.inference_id and n == name]
        return when


@pytest.fixture(scope="module")
def artifacts(model_store: ModelStore) -> zk.ZkArtifacts:
    return zk.setup(model_store, MODEL)


@pytest.fixture(scope="module")
def model(model_store: ModelStore, artifacts: zk.ZkArtifacts) -> OnnxModel:
    data = model_store.read(model_store.resolve(MODEL))
    return OnnxModel(data, sha256_of_cid(artifacts.cid))


def inputs(k: int) -> dict[str, np.ndarray]:
    """The sample input scaled by 1 + k/100: a new inference per k, inside calibration."""
    return {n: (v * (1 + k / 100)).astype(v.dtype) for n, v in sample_input(MODEL).items()}


def zk_record(name: str, artifacts: zk.ZkArtifacts, block: int = 0) -> InferenceRecord:
    return InferenceRecord(
        inference_id=name,
        model_hash=sha256_of_cid(artifacts.cid),
        input_hash=b"\x01" * 32,
        output_hash=b"\x02" * 32,
        mode=ModelInferenceMode.ZK,
        block_number=block,
        state=SettlementState.PENDING,
    )


def submit(queue, model, record, values) -> InferenceRecord:
    queue.submit(record, values, model.run(values))
    return record


def most_at_once(book: CountingBook, records: list[InferenceRecord]) -> int:
    """The most records PROVING at the same moment, from the book's transition times."""
    edges = []
    for record in records:
        end = "proved" if "proved" in book.names(record) else "failed"
        edges += [(book.at(record, "proving"), 1), (book.at(record, end), -1)]
    running = peak = 0
    for _, step in sorted(edges):
        running += step
        peak = max(peak, running)
    return peak


def new_prover_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """Prover workers alive now that were not before (other tests' engines keep theirs)."""
    return [
        t for t in threading.enumerate() if t.name.startswith("ogkit-zk-prover") and t not in before
    ]


def test_the_default_is_one_prover_per_usable_core(model_store) -> None:
    assert default_provers() == len(os.sched_getaffinity(0))
    assert ProverQueue(model_store).provers == default_provers()
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="provers must be a whole number >= 1"):
            ProverQueue(model_store, provers=bad)


def test_two_workers_prove_four_records_side_by_side_each_once(model_store, artifacts, model):
    book = CountingBook()
    queue = ProverQueue(model_store, book, provers=2)
    records = [submit(queue, model, zk_record(f"w{k}", artifacts), inputs(k)) for k in range(4)]
    try:
        for record in records:
            assert queue.wait(record.inference_id, timeout=TIMEOUT_S) is record
    finally:
        queue.stop()
    for record in records:
        assert book.names(record) == ["queued", "proving", "proved"]
        assert record.settlement == "proved" and record.zk_verified is True
        assert zk.verify(artifacts, record.zk_proof) is True
    assert most_at_once(book, records) == 2  # never more than `provers`
    assert len(queue) == 0 and queue.busy == 0


def test_one_worker_proves_one_at_a_time(model_store, artifacts, model):
    book = CountingBook()
    queue = ProverQueue(model_store, book, provers=1)
    records = [submit(queue, model, zk_record(f"o{k}", artifacts), inputs(k)) for k in range(2)]
    try:
        for record in records:
            queue.wait(record.inference_id, timeout=TIMEOUT_S)
    finally:
        queue.stop()
    assert [r.settlement for r in records] == ["proved", "proved"]
    assert most_at_once(book, records) == 1
    assert book.at(records[1], "proving") >= book.at(records[0], "proved")


def test_a_failing_proof_fails_only_its_own_record(model_store, artifacts, model):
    book = CountingBook()
    queue = ProverQueue(model_store, book, provers=2)
    good = [submit(queue, model, zk_record(f"g{k}", artifacts), inputs(k)) for k in range(3)]
    bad = zk_record("bad", artifacts)
    queue.submit(bad, BAD_INPUT, [("output", np.zeros(1, dtype=np.float32))])
    try:
        for record in [*good, bad]:
            queue.wait(record.inference_id, timeout=TIMEOUT_S)
    finally:
        queue.stop()
    assert bad.settlement == (
        "failed: ezkl could not prove this input: Failed to generate witness: "
        "[graph] [halo2] General synthesis error"
    )
    assert book.names(bad) == ["queued", "proving", "failed"] and bad.zk_proof is None
    for record in good:
        assert book.names(record) == ["queued", "proving", "proved"]
        assert record.settlement == "proved"


def test_a_record_a_revert_dropped_is_not_proved(model_store, artifacts, model):
    book = CountingBook()
    queue = ProverQueue(model_store, book, provers=1)
    kept = submit(queue, model, zk_record("kept", artifacts, block=1), inputs(0))
    dropped = [
        submit(queue, model, zk_record(f"dropped{k}", artifacts, block=2), inputs(k))
        for k in (1, 2)
    ]
    assert book.forget_after(1) == 2  # while the one worker proves `kept`
    try:
        assert queue.wait("kept", timeout=TIMEOUT_S).settlement == "proved"
        for record in dropped:
            with pytest.raises(KeyError, match="dropped by a revert before its proof"):
                queue.wait(record.inference_id, timeout=TIMEOUT_S)
    finally:
        queue.stop()
    for record in dropped:
        assert book.names(record) == ["queued"] and record.zk_proof is None
        assert book.get(record.inference_id) is None and record.inference_id not in queue
    assert len(queue) == 0 and book.names(kept) == ["queued", "proving", "proved"]


def test_stop_kills_the_proofs_fails_what_it_cut_short_and_restarts_on_new_work(
    model_store, artifacts, model
):
    before = set(threading.enumerate())
    book = CountingBook()
    queue = ProverQueue(model_store, book, provers=2)
    records = [submit(queue, model, zk_record(f"s{k}", artifacts), inputs(k)) for k in range(4)]
    deadline = time.monotonic() + TIMEOUT_S
    while len(queue.children) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    children = queue.children.pids()
    assert len(children) == 2
    queue.stop()
    for pid in children:
        with pytest.raises(ChildProcessError):  # reaped: neither running nor a zombie
            os.waitpid(pid, os.WNOHANG)
        assert not os.path.exists(f"/proc/{pid}")
    assert new_prover_threads(before) == [] and len(queue.children) == 0 and len(queue) == 0
    for record in records:
        assert record.settlement == f"failed: {STOPPED}"
        assert book.names(record)[-1] == "failed" and book.names(record).count("failed") == 1
    assert sorted(len(book.names(r)) for r in records) == [2, 2, 3, 3]  # 2 were proving

    later = submit(queue, model, zk_record("after-stop", artifacts), inputs(9))
    try:
        assert queue.wait("after-stop", timeout=TIMEOUT_S).settlement == "proved"
    finally:
        queue.stop()
    assert later.zk_verified is True and new_prover_threads(before) == []


KILLED_NODE = """
import sys, time
from og_examples.models import sample_input
from ogkit import zk
from ogkit.inference.prover_queue import ProverQueue
from ogkit.models.store import ModelStore
from test_prover_workers import inputs, zk_record
store = ModelStore(sys.argv[1])
artifacts = zk.load(store, "upstream_demo")
queue = ProverQueue(store, provers=2)
for k in range(2):
    queue.submit(zk_record(f"k{k}", artifacts), inputs(k), [("output", [0.0])])
while len(queue.children) < 2:
    time.sleep(0.02)
print(*queue.children.pids(), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115, PTH123 - one read
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_no_proof_outlives_a_node_killed_with_sigkill(model_store, artifacts):
    """The children die with their parent (Linux parent-death signal), stop() or not."""
    import subprocess
    import sys
    from pathlib import Path

    support = str(Path(__file__).parent)
    node = subprocess.Popen(
        [sys.executable, "-c", KILLED_NODE, str(model_store.root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([support, *sys.path])},
    )
    try:
        children = [int(pid) for pid in node.stdout.readline().split()]
        assert len(children) == 2 and all(alive(pid) for pid in children)
    finally:
        node.kill()
        node.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [alive(pid) for pid in children] == [False, False]


def test_the_prover_count_comes_from_the_node_the_plugin_and_the_cli(tmp_path):
    from click.testing import CliRunner
    from pydantic import ValidationError

    from ape_opengradient.ecosystem import OpenGradientConfig
    from ogkit.cli import main
    from ogkit.inference.node import InferenceNode
    from ogkit.node import NodeChain, NodeConfig

    store = ModelStore(tmp_path / "store")
    assert InferenceNode(store, provers=3).provers == 3
    assert InferenceNode(store).engine._prover_queue is None  # made when first needed
    chain = NodeChain(NodeConfig(model_store=store.root, provers=5))
    try:
        assert chain.engine.prover_queue.provers == 5
    finally:
        chain.close()
    assert OpenGradientConfig(provers=2).provers == 2 and OpenGradientConfig().provers is None
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        OpenGradientConfig(provers=0)
    refused = CliRunner().invoke(main, ["node", "--provers", "0"])
    assert refused.exit_code == 2
    assert "'--provers': 0 is not in the range 1<=x<=1024" in refused.output
    assert "--provers N" in CliRunner().invoke(main, ["node", "--help"]).output
