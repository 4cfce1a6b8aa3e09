"""A user's project for the coverage tests (no tests here): `ogkit init`, plus a contract
whose tests miss one function (`reset`) and one branch (`big += 1`), an inherited modifier
in another file, a view function reached only by `eth_call`, and a reverting transaction.

`solidity: optimize: false`, as the coverage docs advise: with the optimizer statements
merge and move, and a statement's coverage is approximate.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APE = Path(sys.executable).with_name("ape")
OGKIT = Path(sys.executable).with_name("ogkit")

OWNED_SOL = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

abstract contract Owned {
    address public owner = msg.sender;

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
        _;
    }
}
"""

TALLY_SOL = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./Owned.sol";

contract Tally is Owned {
    uint256 public total;
    uint256 public big;
    uint256 public small;

    function add(uint256 amount) external onlyOwner {
        total += amount;
        if (amount > 10) {
            big += 1;
        } else {
            small += 1;
        }
    }

    function reset() external onlyOwner {
        total = 0;
        big = 0;
        small = 0;
    }

    function double(uint256 x) external pure returns (uint256) {
        return x * 2;
    }
}
"""

TALLY_TESTS = """import ape
import pytest


@pytest.fixture
def tally(accounts, project):
    return accounts[0].deploy(project.Tally)


def test_small_amounts(tally, accounts):
    tally.add(5, sender=accounts[0])
    tally.add(3, sender=accounts[0])
    assert (tally.total(), tally.small(), tally.big()) == (8, 2, 0)


def test_double_is_a_call(tally):
    assert tally.double(21) == 42


def test_only_the_owner_adds(tally, accounts):
    with ape.reverts("not owner"):
        tally.add(1, sender=accounts[1])
"""

TABLE = [
    "Name                       Stmts   Miss    Cover    Funcs",
    "contracts/Forecaster.sol       7      1   85.71%   100.0%",
    "contracts/Owned.sol            1      0   100.0%   100.0%",
    "contracts/Tally.sol            8      4    50.0%   66.67%",
]
"""Ape's table: Forecaster misses the `return` of alpha's simulation pass; Tally misses
`big += 1` and reset's three statements; Owned's `require` runs in all three transactions."""

LCOV = """TN:
SF:contracts/Forecaster.sol
FN:16,Forecaster.forecast(struct TensorLib.Number[])
FNDA:1,Forecaster.forecast(struct TensorLib.Number[])
FNF:1
FNH:1
DA:17,1
DA:19,1
DA:20,1
DA:22,1
DA:23,1
DA:24,1
LF:6
LH:6
end_of_record
TN:
SF:contracts/Owned.sol
FN:7,Owned.modifier onlyOwner()
FNDA:3,Owned.modifier onlyOwner()
FNF:1
FNH:1
DA:8,3
LF:1
LH:1
end_of_record
TN:
SF:contracts/Tally.sol
FN:11,Tally.add(uint256)
FNDA:2,Tally.add(uint256)
FN:20,Tally.reset()
FNDA:0,Tally.reset()
FN:26,Tally.double(uint256)
FNDA:1,Tally.double(uint256)
FNF:3
FNH:2
DA:12,2
DA:13,2
DA:14,0
DA:16,2
DA:21,0
DA:22,0
DA:23,0
DA:27,1
LF:8
LH:4
end_of_record
"""
"""lcov of that session: line 22 of Forecaster holds the `if` (run) and its `return`
(missed); a line's count is its busiest statement's."""


COVERAGE_CONFIG = """
solidity:
  optimize: false
test:
  coverage:
    reports:
      xml: true
"""

XML_LINES = {
    "contracts/Forecaster.sol": {17: 1, 18: 1, 19: 1, 20: 1, 21: 1, 22: 1, 23: 1, 24: 1},
    "contracts/Owned.sol": {8: 3},
    "contracts/Tally.sol": {12: 2, 13: 2, 14: 0, 16: 2, 21: 0, 22: 0, 23: 0, 27: 1},
}
"""Ape's `coverage.xml` (Cobertura): every line a statement spans, with its hits."""


def xml_lines(path: Path) -> dict[str, dict[int, int]]:
    from xml.etree import ElementTree

    return {
        c.get("name"): {int(x.get("number")): int(x.get("hits")) for x in c.iter("line")}
        for c in ElementTree.parse(path).getroot().iter("class")
    }


def make_project(root: Path, extra_config: str = "", optimize: bool = False) -> Path:
    """`ogkit init` at `root` (the model built into its own store), plus the files above;
    with `optimize`, the project keeps the plugin's default (the optimizer on)."""
    env = user_env()
    done = subprocess.run(
        [str(OGKIT), "init", "--no-toolchain", str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (root / "contracts" / "Owned.sol").write_text(OWNED_SOL)
    (root / "contracts" / "Tally.sol").write_text(TALLY_SOL)
    (root / "tests" / "test_tally.py").write_text(TALLY_TESTS)
    config = root / "ape-config.yaml"
    coverage_config = (
        COVERAGE_CONFIG.replace("solidity:\n  optimize: false\n", "")
        if optimize
        else COVERAGE_CONFIG
    )
    config.write_text(config.read_text() + coverage_config + extra_config)
    return root


def user_env() -> dict[str, str]:
    """The test environment minus the repository's model store: the project uses its own."""
    return {k: v for k, v in os.environ.items() if k != "OGKIT_MODEL_STORE"}


def ape_test(root: Path, *args: str) -> str:
    done = subprocess.run(
        [str(APE), "test", "-p", "no:cacheprovider", *args],
        cwd=root,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, (done.stdout[-5000:], done.stderr[-5000:])
    return done.stdout


def table_rows(output: str) -> list[str]:
    """Ape's coverage table, its header and rows with outer spaces stripped."""
    rows = [line.strip() for line in output.splitlines()]
    start = next(i for i, line in enumerate(rows) if line.startswith("Name "))
    return [rows[start]] + [r for r in rows[start + 1 :] if r.startswith("contracts/")]
