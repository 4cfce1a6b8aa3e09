"""Prove in a child process: `ezkl.prove` holds the GIL for its whole run (seconds), so a
proof made on a thread would freeze the chain, the node or the tests sharing the process.
Children also let several proofs run at once, one per core (the prover queue's workers).

    proof = prove_isolated(artifacts, inputs)          # same result as `pipeline.prove`
    children = Children()                              # the prover queue's: stop() ends them
    proof = prove_isolated(artifacts, inputs, children=children)
    children.close()                                   # kills the running ones; no new ones

The child (`python -m ogkit.zk.isolated DIR CID INPUT.json PROOF.json [PARENT_PID]`) loads the
artifacts, proves and writes EZKL's proof JSON; a failure ends it with exit status 1 and the
reason as the last line on stderr. On Linux it dies with the thread that started it (parent
death signal), so no proof outlives a node killed with `kill -9`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ogkit.zk.artifacts import ZkArtifacts, ZkError, ZkProof, _load
from ogkit.zk.pipeline import prove

DEFAULT_TIMEOUT_S = 600.0
STOPPED = "the prover queue stopped before this inference was proved"
PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a child gets when the thread that started it ends."""
KILL_GRACE_S = 5.0
"""How long a terminated child gets to exit before it is killed."""


class Children:
    """The prover children running on behalf of one owner, so it can end them all: after
    `close()` the running ones are terminated (killed if they linger) and none starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self.closed = False

    def start(self, argv: list[str], *, served: bool = False) -> subprocess.Popen:
        """Start a child (`ZkError` once closed): a one-shot one (its reason on stderr), or
        with `served` a long-lived one taking jobs on stdin (binary pipes both ways)."""
        with self._lock:
            if self.closed:
                raise ZkError(STOPPED)
            if served:
                child = subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            else:
                child = subprocess.Popen(
                    argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
                )
            self._running.add(child)
            return child

    def done(self, child: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(child)

    def __len__(self) -> int:
        with self._lock:
            return len(self._running)

    def pids(self) -> list[int]:
        with self._lock:
            return [child.pid for child in self._running]

    def close(self) -> None:
        """Terminate the running children and refuse new ones; returns once they are gone
        (their owners' threads reap them and see `STOPPED`)."""
        with self._lock:
            self.closed = True
            running = list(self._running)
        for child in running:
            _end(child)

    def reopen(self) -> None:
        """Allow children again (a stopped prover queue that gets new work)."""
        with self._lock:
            self.closed = False


def _end(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def prove_isolated(
    artifacts: ZkArtifacts,
    inputs: Mapping[str, np.ndarray],
    timeout: float = DEFAULT_TIMEOUT_S,
    children: Children | None = None,
) -> ZkProof:
    """`pipeline.prove` in a child process; `ZkError` with the child's reason if it fails,
    with `STOPPED` if `children` was closed meanwhile."""
    owner = children if children is not None else Children()
    with tempfile.TemporaryDirectory(prefix="ogkit-zk-job-") as tmp:
        data, out = Path(tmp) / "inputs.json", Path(tmp) / "proof.json"
        data.write_text(
            json.dumps(
                {
                    name: np.asarray(value, dtype=np.float64).reshape(-1).tolist()
                    for name, value in inputs.items()
                }
            )
        )
        argv = [sys.executable, "-m", __name__, str(artifacts.directory), artifacts.cid]
        child = owner.start([*argv, str(data), str(out), str(os.getpid())])
        try:
            _, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(child)
            raise ZkError(f"proving took longer than {timeout:g} s") from None
        finally:
            owner.done(child)
        if child.returncode != 0:
            if owner.closed:
                raise ZkError(STOPPED)
            lines = [line for line in stderr.splitlines() if line.strip()]
            raise ZkError(lines[-1] if lines else f"prover exited with {child.returncode}")
        return ZkProof.from_json(json.loads(out.read_text()), artifacts)


def _die_with_parent(parent: int) -> None:
    """Linux: be killed when the thread that started this child ends (its worker, or the
    whole node on a `kill -9`); exit at once if the parent is gone already."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's `Children.close` only
        return
    if os.getppid() != parent:
        os._exit(1)


def main(argv: list[str]) -> int:
    directory, cid, data, out, *parent = argv
    if parent:
        _die_with_parent(int(parent[0]))
    artifacts = _load(Path(directory), cid)
    if artifacts is None:
        print(f"no complete ZK setup for {cid} in {directory}", file=sys.stderr)
        return 1
    inputs = {name: np.array(values) for name, values in json.loads(Path(data).read_text()).items()}
    try:
        proof = prove(artifacts, inputs)
    except Exception as exc:  # noqa: BLE001 - the reason goes to the parent, whatever it is
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(f"ezkl could not prove this input: {reason}", file=sys.stderr)
        return 1
    Path(out).write_text(json.dumps(proof.to_json()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
