"""Pytest fixtures for any project that installs the plugin (a `pytest11` entry point, so
`ape test` loads them with no conftest.py):

- `og`: the inference API of the connected chain (`provider.og`, the same on
  `opengradient:local:test` and `opengradient:local:node`): `model_runs`,
  `get_inference_record`, `inference_records`, `wait_for_settlement`, `mock_model_output`,
  `remove_model_mock`, `clear_model_mocks`. Mocks made through it end with the test.
- `mock_model`: `mock_model(model_id, inputs, outputs)` mocks one (model, exact input) pair
  for the test, like Foundry's `vm.mockCall`; undone at teardown.

Mocks live beside the chain, not in its state, so Ape's snapshot reverts do not undo them:
these fixtures do, at the end of each test. A mock a test replaces answers again after it.

And two hooks for the session's time (`freeze_heap`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ape_opengradient.inference_api import InferenceAPI, InferenceInfo

MockModel = Callable[[str, Mapping[str, Any], Mapping[str, Any]], str]


class ScopedMocks:
    """A provider's `InferenceAPI` (same methods, by delegation: importing the API here
    would load onnxruntime into every pytest run) that remembers the mocks made through it,
    so the fixture can remove exactly those, newest first."""

    def __init__(self, api: InferenceAPI) -> None:
        self.api = api
        self.keys: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.api, name)

    @property
    def model_runs(self) -> int:
        return self.api.model_runs

    def get_inference_record(self, inference_id: str) -> InferenceInfo | None:
        return self.api.get_inference_record(inference_id)

    def inference_records(self, block: int | None = None) -> list[InferenceInfo]:
        return self.api.inference_records(block)

    def wait_for_settlement(self, inference_id: str, timeout: float = 60.0) -> InferenceInfo:
        return self.api.wait_for_settlement(inference_id, timeout)

    def mock_model_output(
        self, model_id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> str:
        key = self.api.mock_model_output(model_id, inputs, outputs)
        self.keys.append(key)
        return key

    def remove_model_mock(self, key: str) -> bool:
        for index in range(len(self.keys) - 1, -1, -1):
            if self.keys[index] == key:  # the newest mock of that key goes
                del self.keys[index]
                break
        return self.api.remove_model_mock(key)

    def clear_model_mocks(self) -> int:
        self.keys.clear()
        return self.api.clear_model_mocks()

    def undo(self) -> None:
        while self.keys:
            self.api.remove_model_mock(self.keys.pop())


def _provider_api(provider: Any) -> InferenceAPI:
    api = getattr(provider, "og", None)
    if api is None:
        pytest.fail(
            "the `og` fixture needs an OpenGradient local network "
            "(opengradient:local:test or opengradient:local:node); "
            f"connected to {getattr(provider, 'network_choice', provider)}",
            pytrace=False,
        )
    return api


@pytest.fixture
def og(chain: Any) -> Iterator[ScopedMocks]:
    """The connected chain's inference API; mocks made through it end with the test."""
    scoped = ScopedMocks(_provider_api(chain.provider))
    try:
        yield scoped
    finally:
        scoped.undo()


@pytest.fixture
def mock_model(og: ScopedMocks) -> MockModel:
    """`mock_model(model_id, inputs, outputs)`: for this test, 0xF4 answers `outputs` when
    the model gets exactly `inputs`, without running it (the record says mocked)."""
    return og.mock_model_output


def freeze_heap() -> None:
    """Freeze what the session has made so far (every plugin's modules, Ape's managers, the
    collected tests): it lives until the session ends. Python's full collection walks every
    tracked object; with `ape test` (any network) one runs while pytest starts the session
    and one during the connect's imports (Ape imports every plugin's providers), ~0.1 s each
    over the ~230,000 objects there, and a frozen heap leaves them the new ones (~0.02 s);
    pytest's five collections at exit get as cheap. Freezing changes no value: objects are
    still freed when their last reference goes; only a reference cycle among objects made
    before now would stay until the process ends (no `gc.collect()` first: that would cost
    the full walk this saves). `ogkit node` freezes its start-up the same way."""
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """After every plugin's configuration (Ape's runner and fixtures): `freeze_heap`."""
    freeze_heap()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Before Ape connects (its own `pytest_collection_finish`): `freeze_heap` again."""
    freeze_heap()


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After Ape's coverage table: its lcov file (ape_opengradient/coverage_report.py)."""
    try:
        from ape_opengradient.coverage_report import write_session_lcov
    except ImportError:  # pytest without Ape
        return
    write_session_lcov(terminalreporter)
