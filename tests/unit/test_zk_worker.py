"""The long-lived prover child (`ogkit.zk.worker.ProverProcess`) and the circuit size `setup`
now picks: one child proves job after job (real ezkl proofs that verify), a failing job fails
alone, a dead or stopped child is handled, a hung one is killed, and setups made before the
decomposition choice (manifest format 1) are rebuilt rather than reused.
"""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pytest

pytest.importorskip("ezkl", reason="ZK mode needs the ezkl package (pip install ezkl==23.0.5)")

from og_examples.models import sample_input  # noqa: E402
from ogkit import zk  # noqa: E402
from ogkit.models.store import ModelStore  # noqa: E402
from ogkit.zk.artifacts import MANIFEST, _load  # noqa: E402
from ogkit.zk.isolated import STOPPED, Children  # noqa: E402
from ogkit.zk.worker import ProverProcess  # noqa: E402

MODEL = "upstream_demo"
BAD_INPUT = {"input": np.array([1e9, -1e9], dtype=np.float32)}


@pytest.fixture(scope="module")
def artifacts(model_store: ModelStore) -> zk.ZkArtifacts:
    return zk.setup(model_store, MODEL)


def inputs(k: int) -> dict[str, np.ndarray]:
    return {n: (v * (1 + k / 100)).astype(v.dtype) for n, v in sample_input(MODEL).items()}


def gone(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115, PTH123 - one read
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_upstream_demo_gets_the_smallest_circuit(artifacts: zk.ZkArtifacts) -> None:
    """ezkl's default decomposition (base 16384) needed logrows 15 for a 22-row circuit."""
    run_args = artifacts.settings["run_args"]
    assert (run_args["decomp_base"], run_args["decomp_legs"]) == (32, 6)
    assert artifacts.manifest["decomposition"] == {"base": 32, "legs": 6}
    assert artifacts.logrows == run_args["logrows"] == 6
    assert artifacts.srs_path.name == "kzg-k6.DEV-INSECURE.srs"
    assert artifacts.manifest["format"] == 2
    assert artifacts.manifest["decompositions_tried"] == [[16384, 2], [1024, 3], [128, 4], [32, 6]]


def test_one_child_proves_job_after_job(artifacts: zk.ZkArtifacts) -> None:
    children = Children()
    prover = ProverProcess(children)
    try:
        proofs, pids = [], set()
        for k in range(3):
            proofs.append(prover.prove(artifacts, inputs(k)))
            pids.add(prover.pid)
        assert len(pids) == 1 and len(children) == 1
    finally:
        prover.close()
    assert len(children) == 0 and gone(pids.pop())
    for k, proof in enumerate(proofs):
        assert zk.verify(artifacts, proof) is True
        x0, x1 = inputs(k)["input"].astype(np.float64)
        assert proof.outputs["output"][0] == pytest.approx(2 * x0 - 0.5 * x1 + 0.25, abs=5e-4)
    assert zk.prove(artifacts, inputs(0)).outputs["output"] == proofs[0].outputs["output"]


def test_a_failing_job_fails_alone_and_the_child_serves_on(artifacts: zk.ZkArtifacts) -> None:
    prover = ProverProcess(Children())
    try:
        first = prover.prove(artifacts, inputs(0))
        pid = prover.pid
        with pytest.raises(
            zk.ZkError,
            match=r"^ezkl could not prove this input: Failed to generate witness: "
            r"\[graph\] \[halo2\] General synthesis error$",
        ):
            prover.prove(artifacts, BAD_INPUT)
        assert zk.verify(artifacts, prover.prove(artifacts, inputs(1))) is True
        assert prover.pid == pid and zk.verify(artifacts, first) is True
    finally:
        prover.close()


def test_a_child_that_died_is_replaced(artifacts: zk.ZkArtifacts) -> None:
    prover = ProverProcess(Children())
    try:
        prover.prove(artifacts, inputs(0))
        old = prover.pid
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not gone(old) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert zk.verify(artifacts, prover.prove(artifacts, inputs(1))) is True
        assert prover.pid not in (None, old)
    finally:
        prover.close()


def test_a_child_is_replaced_after_max_jobs(artifacts: zk.ZkArtifacts) -> None:
    prover = ProverProcess(Children(), max_jobs=2)
    try:
        prover.prove(artifacts, inputs(0))
        first = prover.pid
        prover.prove(artifacts, inputs(1))
        assert prover.pid is None and gone(first)  # retired after its 2nd job
        prover.prove(artifacts, inputs(2))
        assert prover.pid not in (None, first)
    finally:
        prover.close()


def test_a_hung_child_is_killed_on_timeout(artifacts: zk.ZkArtifacts) -> None:
    prover = ProverProcess(Children())
    try:
        prover.prove(artifacts, inputs(0))
        pid = prover.pid
        os.kill(pid, signal.SIGSTOP)  # hangs: never answers the next job
        with pytest.raises(zk.ZkError, match=r"^proving took longer than 0.5 s$"):
            prover.prove(artifacts, inputs(1), timeout=0.5)
        assert prover.pid is None and gone(pid)
    finally:
        prover.close()


def test_closing_the_children_stops_the_job_and_refuses_new_ones(
    artifacts: zk.ZkArtifacts,
) -> None:
    children = Children()
    prover = ProverProcess(children)
    prover.prove(artifacts, inputs(0))
    pid = prover.pid
    os.kill(pid, signal.SIGSTOP)  # mid-job, as far as the parent can tell
    import threading

    threading.Timer(0.3, children.close).start()
    with pytest.raises(zk.ZkError, match=f"^{STOPPED}$"):
        prover.prove(artifacts, inputs(1))
    assert gone(pid) and len(children) == 0
    with pytest.raises(zk.ZkError, match=f"^{STOPPED}$"):
        prover.prove(artifacts, inputs(2))


def test_a_setup_from_before_the_decomposition_choice_is_rebuilt(
    artifacts: zk.ZkArtifacts, tmp_path
) -> None:
    """A stale cache (format 1, or another list of candidates) is never reused: `load`
    refuses it and `setup` builds the store's directory again with the current settings."""
    import shutil

    from og_examples.install import install_examples

    store = ModelStore(tmp_path / "store")
    install_examples(store)
    stale = store.root / "zk" / artifacts.cid
    shutil.copytree(artifacts.directory, stale)
    manifest = json.loads((stale / MANIFEST).read_text())
    for change in ({"decompositions_tried": [[16384, 2]]}, {"format": 1}):
        (stale / MANIFEST).write_text(json.dumps({**manifest, **change}))
        assert _load(stale, artifacts.cid) is None
        with pytest.raises(zk.ZkError, match="no ZK setup"):
            zk.load(store, MODEL)
    rebuilt = zk.setup(store, MODEL)
    assert rebuilt.directory == stale and rebuilt.logrows == 6
    assert json.loads((stale / MANIFEST).read_text())["format"] == 2
    assert zk.verify(rebuilt, zk.prove(rebuilt, inputs(3))) is True
