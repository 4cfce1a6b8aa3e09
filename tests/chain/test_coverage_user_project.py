"""`ape test --coverage` in a user's project (made by `ogkit init`, outside this repository)
on `opengradient:local`: Ape's table with statement and function coverage of the Solidity
sources, `.build/coverage.lcov` beside it and Ape's `coverage.xml`, all exact. Before this,
ape-solidity gave Ape nothing and it printed "No coverage data found". Without
`--coverage`: no report. With the plugin's default settings (via-IR with the optimizer)
the same figures for this project, and a note that optimized code makes them approximate.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from coverage_project import (
    LCOV,
    TABLE,
    XML_LINES,
    ape_test,
    make_project,
    table_rows,
    xml_lines,
)

from ape_opengradient.coverage import OPTIMIZER_NOTE


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("coverage") / "tally")


def test_coverage_table_and_lcov(user_project: Path):
    out = ape_test(user_project, "--coverage")
    assert "4 passed" in out, out[-3000:]
    assert "No coverage data found" not in out and "optimizer" not in out
    assert table_rows(out) == TABLE
    lcov = user_project / ".build" / "coverage.lcov"
    assert f"lcov coverage: {lcov}" in out
    assert lcov.read_text() == LCOV
    assert xml_lines(user_project / ".build" / "coverage.xml") == XML_LINES


def test_no_coverage_no_report(user_project: Path):
    lcov = user_project / ".build" / "coverage.lcov"
    lcov.unlink(missing_ok=True)
    out = ape_test(user_project)
    assert "4 passed" in out, out[-3000:]
    assert "Coverage Profile" not in out and "lcov" not in out
    assert not lcov.exists()


def test_the_default_optimized_build(tmp_path: Path):
    root = make_project(tmp_path / "tally", optimize=True)
    out = ape_test(root, "--coverage")
    assert "4 passed" in out, out[-3000:]
    assert table_rows(out) == TABLE
    assert (root / ".build" / "coverage.lcov").read_text() == LCOV
    assert OPTIMIZER_NOTE in " ".join(out.split())
