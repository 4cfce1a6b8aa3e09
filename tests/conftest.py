"""Fixtures for every test folder: the example models in the session's store before any chain
test runs, the example ONNX files, a store of them per module, Ape's named accounts, the
in-process chain's inference engine, a simulated enclave and the genesis TaskScheduler.

Each folder's own conftest.py adds what only it uses (unit/: an engine and an eth-tester chain
over the module's example store; chain/: a RiskLendingPool; node/: an `ogkit node` process, its
web3 client and SentimentGate on it). Helper modules and data live in tests/support/, on
sys.path through pyproject's `pythonpath` (import them by name: `from node_support import ...`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from store_support import store_with

from og_examples.install import install_examples
from og_examples.models import build_examples
from ogkit.chain.genesis import TASK_SCHEDULER_ADDRESS
from ogkit.models.store import ModelStore
from ogkit.tee import SimulatedEnclave

# The in-process chain's engine reads its store from here when Ape connects (after this
# import): tests get a store of their own and never touch the project's `.ogkit/models`.
os.environ["OGKIT_MODEL_STORE"] = tempfile.mkdtemp(prefix="ogkit-test-store-")


@pytest.fixture
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[0]


@pytest.fixture
def relayer(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def model_store() -> ModelStore:
    store = ModelStore()
    install_examples(store)
    return store


@pytest.fixture(scope="session")
def example_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example ONNX models built once (name -> file); tests only read them."""
    return build_examples(tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory, example_files) -> ModelStore:
    """A store of the module's own with the example models, each under its name."""
    return store_with(tmp_path_factory.mktemp("example-store") / "store", example_files)


@pytest.fixture(scope="module")
def engine(chain):
    """The in-process chain's inference engine (the one behind its 0xF4); unit/ overrides it
    with an engine of its own."""
    return chain.provider.inference_engine


@pytest.fixture(scope="module")
def enclave() -> SimulatedEnclave:
    return SimulatedEnclave()


@pytest.fixture(scope="module")
def scheduler(project):
    """The TaskScheduler at its alpha address from genesis (Ape)."""
    return project.TaskScheduler.at(TASK_SCHEDULER_ADDRESS)
