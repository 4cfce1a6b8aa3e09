"""The 0xF4 precompile tests' chain: the example models (and the extra tiny ones) in a store of
the module's own, with an engine, an eth-tester chain and the CALL/STATICCALL proxies."""

from __future__ import annotations

import pytest
from precompile_support import Env


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return Env(tmp_path_factory.mktemp("precompile"))
