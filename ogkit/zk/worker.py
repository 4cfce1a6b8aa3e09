"""A long-lived prover child: started once per prover-queue worker, it imports ezkl once and
proves job after job sent over a pipe. A one-shot child (`ogkit.zk.isolated.prove_isolated`)
spends ~0.7-0.9 s per proof starting Python and importing ogkit and ezkl, against ~0.05 s for
the proof itself at logrows 6; this process pays that once.

    prover = ProverProcess(children)             # the queue's `Children`: stop() kills it
    proof = prover.prove(artifacts, inputs)      # same result as `pipeline.prove`
    prover.close()                               # ends the child (also after MAX_JOBS jobs)

Protocol (`python -m ogkit.zk.worker PARENT_PID`): one JSON line per job on stdin
({"directory", "cid", "inputs"}), one JSON line per reply on stdout ({"ok": true, "proof"} or
{"ok": false, "error"}). The child sends ezkl's own output (fd 1) to stderr, so nothing but
replies reaches the pipe. Like the one-shot child it dies with the thread that started it
(parent-death signal), is killed on timeout and by `Children.close()`, and a new one starts if
it died. It is replaced after `MAX_JOBS` jobs, so whatever ezkl leaks stays bounded.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ogkit.zk.artifacts import ZkArtifacts, ZkError, ZkProof, _load
from ogkit.zk.isolated import DEFAULT_TIMEOUT_S, STOPPED, Children, _die_with_parent, _end

MAX_JOBS = 256
"""Jobs one child proves before it is replaced (bounds memory growth across proofs)."""


class ProverProcess:
    """One long-lived prover child, started on the first job (and again if it died); used by
    one thread at a time (each prover-queue worker has its own)."""

    def __init__(self, children: Children, max_jobs: int = MAX_JOBS) -> None:
        self.children = children
        self.max_jobs = max_jobs
        self._child: subprocess.Popen | None = None
        self._jobs = 0
        self._exit_code: int | None = None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def prove(
        self,
        artifacts: ZkArtifacts,
        inputs: Mapping[str, np.ndarray],
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> ZkProof:
        """`pipeline.prove` in the child; `ZkError` with its reason if it fails, with
        `STOPPED` if `children` was closed meanwhile."""
        job = {
            "directory": str(artifacts.directory),
            "cid": artifacts.cid,
            "inputs": {
                name: np.asarray(value, dtype=np.float64).reshape(-1).tolist()
                for name, value in inputs.items()
            },
        }
        line = self._ask(json.dumps(job).encode() + b"\n", timeout)
        if line is None and self._jobs > 0 and not self.children.closed:
            # It had served jobs: it most likely died while idle (killed, or not fully gone
            # when `_started` looked), not on this job; one more try with a new child.
            line = self._ask(json.dumps(job).encode() + b"\n", timeout)
        if line is None:
            if self.children.closed:
                raise ZkError(STOPPED)
            raise ZkError(f"prover exited with {self._exit_code}")
        self._jobs += 1
        if self._jobs >= self.max_jobs:
            self.close()
        reply = json.loads(line)
        if not reply["ok"]:
            raise ZkError(reply["error"])
        return ZkProof.from_json(reply["proof"], artifacts)

    def _ask(self, request: bytes, timeout: float) -> bytes | None:
        """Send one job and read the reply; None if the child died (it is closed then)."""
        child = self._started()
        try:
            assert child.stdin is not None
            child.stdin.write(request)
            child.stdin.flush()
            line = _read_line(child, timeout)
        except TimeoutError:  # before OSError: TimeoutError is one
            self.close()
            raise ZkError(f"proving took longer than {timeout:g} s") from None
        except OSError:  # the pipe broke: the child died (or was killed)
            line = None
        if line is None:
            self.close()  # ends it if it lingers (killed after a grace period)
            self._exit_code = child.returncode
        return line

    def close(self) -> None:
        """End the child (if any); the next job starts a new one."""
        child, self._child = self._child, None
        if child is not None:
            _end(child)
            for pipe in (child.stdin, child.stdout):
                if pipe is not None:
                    pipe.close()
            self.children.done(child)

    def _started(self) -> subprocess.Popen:
        if self._child is not None and self._child.poll() is not None:
            self.close()  # died between jobs
        if self._child is None:
            argv = [sys.executable, "-m", __name__, str(os.getpid())]
            self._child = self.children.start(argv, served=True)
            self._jobs = 0
        return self._child


def _read_line(child: subprocess.Popen, timeout: float) -> bytes | None:
    """One reply line from the child; None at end of file (it died); `TimeoutError` after
    `timeout` seconds. Reads the raw fd, so `select` sees every byte not yet read."""
    assert child.stdout is not None
    fd = child.stdout.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            data += chunk
    return data


def _handle(job: dict) -> dict:
    """Prove one job; the reply to send."""
    from ogkit.zk.pipeline import prove

    artifacts = _load(Path(job["directory"]), job["cid"])
    if artifacts is None:
        where = f"{job['cid']} in {job['directory']}"
        return {"ok": False, "error": f"no complete ZK setup for {where}"}
    inputs = {name: np.array(values) for name, values in job["inputs"].items()}
    try:
        proof = prove(artifacts, inputs)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the reason goes to the parent (a Rust panic
        # is a BaseException in pyo3), and the child serves the next job
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return {"ok": False, "error": f"ezkl could not prove this input: {reason}"}
    return {"ok": True, "proof": proof.to_json()}


def main(argv: list[str]) -> int:
    if argv:
        _die_with_parent(int(argv[0]))
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # ezkl's prints go to stderr, never into the replies
    import ezkl  # noqa: F401 - imported once, before the first job

    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(_handle(json.loads(line))) + "\n")
            replies.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
