"""A pytest plugin bench/suite.py loads into `ape test` (`-p suite_timer`): how long the test
loop took (every test's setup, call and teardown, Ape's isolation included), apart from the
session's fixed costs (collection, Ape connecting, plugins' summaries), in wall seconds and
in CPU seconds. Writes JSON to the file named by SUITE_TIMER_OUT.

CPU seconds (`time.process_time`, every thread of the process) are what the session itself
computed: on a shared machine another process taking a core stretches the wall times of one
round and not the next, and much less its CPU time. The session is timed from the start of
collection to the end of the terminal summary (what pytest's "in N s" covers)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

_clock: dict[str, float] = {}


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    _clock["session_wall"], _clock["session_cpu"] = _now()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    wall, cpu = _now()
    yield
    end_wall, end_cpu = _now()
    _clock["loop"], _clock["loop_cpu"] = end_wall - wall, end_cpu - cpu
    _clock["tests"] = session.testscollected


@pytest.hookimpl(hookwrapper=True)
def pytest_terminal_summary(terminalreporter: object) -> Iterator[None]:
    yield  # after every plugin's summary (hypothesis's, Ape's, ours)
    end_wall, end_cpu = _now()
    out = os.environ.get("SUITE_TIMER_OUT")
    if out and "loop" in _clock:
        timed = dict(_clock)
        timed["session_wall"] = end_wall - _clock["session_wall"]
        timed["session_cpu"] = end_cpu - _clock["session_cpu"]
        with open(out, "w") as handle:
            json.dump(timed, handle)
