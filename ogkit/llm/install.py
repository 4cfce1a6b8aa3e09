"""Put the tiny example LLM in a store under its name (`ogkit models build-examples`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ogkit.llm.bundle import add_llm
from ogkit.llm.tiny import NAME, build_tiny_llm
from ogkit.models.store import ModelStore


def install_tiny_llm(store: ModelStore) -> str:
    """Build the tiny LLM and store it as a bundle aliased `tiny-llm`; returns its CID."""
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = build_tiny_llm(Path(tmp))
        return add_llm(store, model, tokenizer, NAME)
