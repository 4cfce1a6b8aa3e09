"""Fixtures of the unit tests: the precompiles' engine over the module's example store, and an
eth-tester chain on it for the few checks that go through py-evm."""

from __future__ import annotations

import pytest

from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore


@pytest.fixture(scope="module")
def engine(example_store: ModelStore) -> InferenceEngine:
    return InferenceEngine(example_store)


@pytest.fixture(scope="module")
def tester(engine: InferenceEngine):
    return new_tester(engine)
