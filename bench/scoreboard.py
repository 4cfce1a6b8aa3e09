"""Issue 13's figures in one table at the end of bench/RESULTS.md (`make bench` runs this
last): each benchmark leaves its headline figures in bench/.work/figures/ (figures.py).

    .venv/bin/python bench/scoreboard.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from figures import recorded  # noqa: E402
from sections import write_section  # noqa: E402
from stats import fmt  # noqa: E402


def verdict(row: dict) -> str:
    if row["goal"] in ("", "—"):
        return "—"  # a figure for reference, held to no goal
    return "yes" if row["met"] else "**no**"


def table(entries: list[dict]) -> str:
    lines = [
        "## Issue 13 at a glance",
        "",
        "The headline figure of each benchmark of this `make bench` run (medians; p10 – p90 "
        "over rounds or samples; details in the sections above and in the linked files).",
        "",
        "| figure | median | p10 – p90 | n | goal | met | from |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for entry in entries:
        for row in entry["rows"]:
            unit = row["unit"]
            lines.append(
                f"| {row['label']} | **{fmt(row['median'])}{unit}** | "
                f"{fmt(row['p10'])} – {fmt(row['p90'])}{unit} | {row['n']} | {row['goal']} | "
                f"{verdict(row)} | bench/{entry['bench']}.py, "
                f"{entry['written']} |"
            )
    return "\n".join(lines)


def main() -> None:
    entries = recorded()
    if not entries:
        sys.exit("no figures in bench/.work/figures/: run the benchmarks first (make bench)")
    body = table(entries)
    write_section(HERE / "RESULTS.md", "scoreboard", body)
    print(body)


if __name__ == "__main__":
    main()
