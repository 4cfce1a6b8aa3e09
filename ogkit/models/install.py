"""Put the example models in a store under their names: what `ogkit models build-examples`,
the tests and the benchmarks all need."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ogkit.models.examples import UPSTREAM_DEMO_ALIAS, build_examples
from ogkit.models.store import ModelStore


def example_aliases(name: str) -> tuple[str, ...]:
    return (name, UPSTREAM_DEMO_ALIAS) if name == "upstream_demo" else (name,)


def install_examples(store: ModelStore) -> dict[str, str]:
    """Build every example (and the tiny LLM) and store it; returns name -> CID. Idempotent."""
    from ogkit.llm.install import install_tiny_llm
    from ogkit.llm.tiny import NAME as TINY_LLM

    with tempfile.TemporaryDirectory() as tmp:
        installed = {
            name: store.add(path, *example_aliases(name))
            for name, path in build_examples(Path(tmp)).items()
        }
    installed[TINY_LLM] = install_tiny_llm(store)
    return installed
