"""A pytest plugin bench/suite.py loads into `ape test` (`-p suite_timer`): how long the test
loop took (every test's setup, call and teardown, Ape's isolation included), apart from the
session's fixed costs (collection, Ape connecting, plugins' summaries). Writes JSON to the
file named by SUITE_TIMER_OUT."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    start = time.perf_counter()
    yield
    loop = time.perf_counter() - start
    out = os.environ.get("SUITE_TIMER_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump({"loop": loop, "tests": session.testscollected}, handle)
