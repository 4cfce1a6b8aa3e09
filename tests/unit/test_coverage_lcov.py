"""The lcov text of an Ape coverage report (ape_opengradient/coverage_report.py)."""

from __future__ import annotations

from ape.types.coverage import (
    ContractCoverage,
    ContractSourceCoverage,
    CoverageProject,
    CoverageReport,
    CoverageStatement,
    FunctionCoverage,
)

from ape_opengradient.coverage_report import lcov_text


def stmt(line: int, hits: int, key: int) -> CoverageStatement:
    return CoverageStatement(location=(line, 9, line, 20), pcs={key}, hit_count=hits)


def report() -> CoverageReport:
    vault = ContractCoverage(
        name="Vault",
        functions=[
            FunctionCoverage(
                name="put",
                full_name="put(uint256)",
                hit_count=3,
                statements=[stmt(8, 3, 1), stmt(9, 0, 2), stmt(9, 2, 3)],
            ),
            FunctionCoverage(
                name="take", full_name="take()", hit_count=0, statements=[stmt(13, 0, 4)]
            ),
        ],
    )
    sources = [
        ContractSourceCoverage(source_id="contracts/Vault.sol", contracts=[vault]),
        ContractSourceCoverage(source_id="contracts/other.vy", contracts=[]),
    ]
    project = CoverageProject(name="p", sources=sources)
    return CoverageReport(projects=[project], source_folders=[], timestamp=1)


def test_lcov_of_a_report():
    lines = {("contracts/Vault.sol", "Vault", "put(uint256)"): 7}
    assert lcov_text(report(), lines) == (
        "TN:\n"
        "SF:contracts/Vault.sol\n"
        "FN:7,Vault.put(uint256)\n"
        "FNDA:3,Vault.put(uint256)\n"
        "FN:13,Vault.take()\n"  # no definition line known: its first statement's
        "FNDA:0,Vault.take()\n"
        "FNF:2\n"
        "FNH:1\n"
        "DA:8,3\n"
        "DA:9,2\n"  # two statements on line 9: the busier one's count
        "DA:13,0\n"
        "LF:3\n"
        "LH:2\n"
        "end_of_record\n"
    )


def test_nothing_to_report():
    empty = CoverageReport(projects=[CoverageProject(name="p")], source_folders=[], timestamp=1)
    assert lcov_text(empty, {}) == ""
