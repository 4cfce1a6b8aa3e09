"""Issue 13's headline figures, handed from each benchmark to bench/scoreboard.py through
bench/.work/figures/<bench>.json, so that one table shows them all from one `make bench`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from stats import Summary

FIGURES = Path(__file__).resolve().parent / ".work" / "figures"


def figure(label: str, summary: Summary, goal: str, met: bool, unit: str = "×") -> dict:
    """One row: a median with its p10–p90 spread, the goal it is held to, and the verdict."""
    return {
        "label": label,
        "median": summary.median,
        "p10": summary.p10,
        "p90": summary.p90,
        "n": summary.n,
        "unit": unit,
        "goal": goal,
        "met": bool(met),
    }


def record(bench: str, rows: list[dict]) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    written = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (FIGURES / f"{bench}.json").write_text(
        json.dumps({"bench": bench, "written": written, "rows": rows}, indent=1)
    )


def recorded() -> list[dict]:
    """Every benchmark's last figures, oldest first."""
    found = [json.loads(p.read_text()) for p in sorted(FIGURES.glob("*.json"))]
    return sorted(found, key=lambda entry: entry["written"])
