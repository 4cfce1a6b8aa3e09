"""Put the example models and the tiny LLM in a store under their names: what
`ogkit models build-examples`, the tests and the benchmarks all need."""

from __future__ import annotations

import tempfile
from pathlib import Path

from og_examples.llm.tiny import NAME as TINY_LLM
from og_examples.llm.tiny import build_tiny_llm
from og_examples.models import UPSTREAM_DEMO_ALIAS, build_examples
from ogkit.llm.bundle import add_llm
from ogkit.models.store import ModelStore


def example_aliases(name: str) -> tuple[str, ...]:
    """The names example `name` is stored under (upstream_demo also gets its alpha-style id)."""
    return (name, UPSTREAM_DEMO_ALIAS) if name == "upstream_demo" else (name,)


def install_tiny_llm(store: ModelStore) -> str:
    """Build the tiny LLM and store it as a bundle aliased `tiny-llm`; returns its CID."""
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = build_tiny_llm(Path(tmp))
        return add_llm(store, model, tokenizer, TINY_LLM)


def install_examples(store: ModelStore) -> dict[str, str]:
    """Build every example (and the tiny LLM) and store it; returns name -> CID. Idempotent."""
    with tempfile.TemporaryDirectory() as tmp:
        installed = {
            name: store.add(path, *example_aliases(name))
            for name, path in build_examples(Path(tmp)).items()
        }
    installed[TINY_LLM] = install_tiny_llm(store)
    return installed
