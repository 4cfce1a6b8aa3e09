"""Prove in a child process: `ezkl.prove` holds the GIL for its whole run (seconds), so a
proof made on a thread would freeze the chain, the node or the tests sharing the process.

    proof = prove_isolated(artifacts, inputs)          # same result as `pipeline.prove`

The child (`python -m ogkit.zk.isolated DIR CID INPUT.json PROOF.json`) loads the artifacts,
proves and writes EZKL's proof JSON; a failure ends it with exit status 1 and the reason as the
last line on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ogkit.zk.artifacts import ZkArtifacts, ZkError, ZkProof, _load
from ogkit.zk.pipeline import prove

DEFAULT_TIMEOUT_S = 600.0


def prove_isolated(
    artifacts: ZkArtifacts,
    inputs: Mapping[str, np.ndarray],
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ZkProof:
    """`pipeline.prove` in a child process; `ZkError` with the child's reason if it fails."""
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
        try:
            done = subprocess.run(
                [*argv, str(data), str(out)], capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise ZkError(f"proving took longer than {timeout:g} s") from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise ZkError(lines[-1] if lines else f"prover exited with {done.returncode}")
        return ZkProof.from_json(json.loads(out.read_text()), artifacts)


def main(argv: list[str]) -> int:
    directory, cid, data, out = argv
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
