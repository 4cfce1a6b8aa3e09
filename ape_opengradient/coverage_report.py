"""The session's Solidity coverage as an lcov file, beside Ape's own reports.

Editors (Coverage Gutters) and CI services read lcov; Ape writes only its table and, when
configured, XML and HTML. After `ape test --coverage` of an opengradient project this
writes `<project>/.build/coverage.lcov` (where Ape writes `coverage.xml`) from the same
report Ape printed: per source (`SF:`, relative to the project), each function (`FN:` its
definition line and `Contract.name(types)`, `FNDA:` the calls that ran any of its
statements), each line holding a statement (`DA:` line, hits: the most any statement
starting on it had), and the totals (`FNF`/`FNH`, `LF`/`LH`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LCOV_NAME = "coverage.lcov"


def lcov_text(report: Any, function_lines: dict[tuple[str, str, str], int]) -> str:
    """lcov for the Solidity sources of Ape's `CoverageReport`; `function_lines`:
    (source id, contract, full name) -> definition line."""
    out: list[str] = []
    for project in report.projects:
        for source in sorted(project.sources, key=lambda s: s.source_id):
            if not source.source_id.endswith(".sol"):
                continue
            out.append("TN:")
            out.append(f"SF:{source.source_id}")
            lines: dict[int, int] = {}
            found = hit = 0
            for contract in source.contracts:
                for fn in contract.functions:
                    name = f"{contract.name}.{fn.full_name}"
                    first = min((s.location[0] for s in fn.statements if s.location), default=0)
                    line = function_lines.get((source.source_id, contract.name, fn.full_name))
                    out.append(f"FN:{line or first},{name}")
                    out.append(f"FNDA:{fn.hit_count},{name}")
                    found += 1
                    hit += fn.hit_count > 0
                    for stmt in fn.statements:
                        if stmt.location:
                            start = stmt.location[0]
                            lines[start] = max(lines.get(start, 0), stmt.hit_count)
            out.append(f"FNF:{found}")
            out.append(f"FNH:{hit}")
            out.extend(f"DA:{line},{count}" for line, count in sorted(lines.items()))
            out.append(f"LF:{len(lines)}")
            out.append(f"LH:{sum(1 for c in lines.values() if c > 0)}")
            out.append("end_of_record")
    return "\n".join(out) + "\n" if out else ""


def write_session_lcov(terminalreporter: Any = None) -> Path | None:
    """Write the lcov file of the coverage session that just ended, if it was one of an
    opengradient project with Solidity sources; its path, else None."""
    from ape.utils.basemodel import ManagerAccessMixin

    from ape_opengradient.coverage import applies, notes, project_index

    if not applies():
        return None
    data = ManagerAccessMixin._test_runner.coverage_tracker.data
    if data is None or data._report is None:
        return None
    project = ManagerAccessMixin.local_project
    index = project_index(project)
    function_lines = {
        (f.source_id, f.contract, f.full_name): f.line for f in index.functions.values()
    }
    text = lcov_text(data.report, function_lines)
    if not text:
        return None
    path = Path(project.manifest_path).parent / LCOV_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if terminalreporter is not None:
        for note in notes:
            terminalreporter.write_line(f"WARNING: {note}", yellow=True)
        terminalreporter.write_line(f"lcov coverage: {path}")
    return path
