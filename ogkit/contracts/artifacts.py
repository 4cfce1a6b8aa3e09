"""Read the committed compiler output in `ogkit/contracts/artifacts/<Name>.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict]
    bytecode: bytes
    """Creation code: deploy it (with ABI-encoded constructor arguments appended)."""
    runtime: bytes
    """Deployed code: what genesis puts at a fixed address."""


@cache
def load(name: str) -> Artifact:
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json")))
        raise FileNotFoundError(f"no compiled contract {name!r}; known: {known}")
    data = json.loads(path.read_text())
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        runtime=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
    )
