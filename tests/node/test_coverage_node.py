"""`ape test --coverage --network opengradient:local:node` in a user's project (made by
`ogkit init`): the same statement and function coverage as in process, from the node's
geth-format struct logs and call tracer (ape_opengradient/coverage_frames.py), and the lcov.

It needs the node's struct logger (`debug_traceTransaction` with no tracer,
ogkit/chain/struct_logger.py): without it Ape gets only function-level coverage.
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
from node_support import free_port


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    node = f"node:\n  opengradient:\n    local:\n      uri: http://127.0.0.1:{free_port()}\n"
    return make_project(tmp_path_factory.mktemp("coverage-node") / "tally", node)


def test_coverage_table_and_lcov_on_the_node(user_project: Path):
    out = ape_test(user_project, "--coverage", "--network", "opengradient:local:node")
    assert "4 passed" in out, out[-3000:]
    assert "No statement coverage from this node" not in out
    assert table_rows(out) == TABLE
    assert (user_project / ".build" / "coverage.lcov").read_text() == LCOV
    assert xml_lines(user_project / ".build" / "coverage.xml") == XML_LINES
