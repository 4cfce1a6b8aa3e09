"""A user's test suite, timed on the AI chain and on Ape's default chain (issue 13).

    cd <repo> && .venv/bin/python bench/suite.py [--rounds 5] [--no-write] [--baseline DIR]

Makes a project the way a user does (`ogkit init`), adds a plain contract and the suite in
bench/suite_project/ (deploys, calls, reverts, events, transfers, model calls, Ape's
snapshot isolation between tests), then runs `ape test` on it in interleaved rounds:
`opengradient:local` with the whole suite, `opengradient:local` and `ethereum:local:test`
without the model tests (`-m "not model"`: Ape's chain has no 0xF4). Times are pytest's
session times (collection, compile check, connect and the tests; not interpreter start),
and the wall time of the `ape test` process, plus the CPU seconds of the session and of its
test loop (bench/suite_timer.py). Writes the `suite` section of bench/RESULTS.md.
`--baseline DIR` (say, `git archive main | tar -x -C DIR`) adds the same cells run on DIR's
code (first on PYTHONPATH, ahead of this checkout's editable install), interleaved in the
same rounds, to compare a change with what it changes; it prints and writes nothing else.
A benchmark, not a test: it never fails on a timing. ape-foundry is not in the pinned
environment, so anvil through Ape is not a column here (bench/node.py compares our node with
anvil through web3.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from figures import figure, record  # noqa: E402
from sections import write_section  # noqa: E402
from stats import Summary, fmt  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PROJECT = HERE / ".work" / "suite-project"
SESSION = re.compile(r"(\d+) passed(?:, (\d+) deselected)? in ([\d.]+)s")
CELLS = {
    "ours, whole suite": ["--network", "opengradient:local"],
    "ours, no model tests": ["--network", "opengradient:local", "-m", "not model"],
    "Ape default, no model tests": ["--network", "ethereum:local:test", "-m", "not model"],
}
BASELINE = " [baseline]"
KEYS = ("session", "loop", "wall", "session_cpu", "loop_cpu", "passed")
MARKER = """

def pytest_configure(config):
    config.addinivalue_line("markers", "model: calls a model through 0xF4")
"""


def user_env() -> dict[str, str]:
    """The repository's compiler, the project's own model store and bytecode caches (as a
    user has)."""
    # A user's machine writes bytecode caches: with PYTHONDONTWRITEBYTECODE (set on the
    # machines here) pytest rewrites ~190 plugin modules' asserts every session (~1.4 s,
    # the same on both chains).
    unset = ("OGKIT_MODEL_STORE", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["SOLCX_BINARY_PATH"] = str(ROOT / ".solcx")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def make_project() -> None:
    if PROJECT.exists():
        shutil.rmtree(PROJECT)
    PROJECT.parent.mkdir(parents=True, exist_ok=True)
    env = user_env()
    subprocess.run(
        [BIN / "ogkit", "init", PROJECT, "--no-toolchain"], env=env, check=True, capture_output=True
    )
    shutil.copy(HERE / "suite_project" / "Ledger.sol", PROJECT / "contracts" / "Ledger.sol")
    shutil.copy(HERE / "suite_project" / "test_user_suite.py", PROJECT / "tests")
    with (PROJECT / "tests" / "conftest.py").open("a") as conftest:
        conftest.write(MARKER)
    subprocess.run([BIN / "ape", "compile"], cwd=PROJECT, env=env, check=True, capture_output=True)


def run_cell(args: list[str], code: Path | None = None) -> dict[str, float]:
    """One `ape test`: pytest's session seconds, the test loop's, the process's wall seconds,
    the CPU seconds of the session and of the loop (bench/suite_timer.py), tests passed."""
    timer = PROJECT.parent / "suite-timer.json"
    timer.unlink(missing_ok=True)
    env = user_env() | {"SUITE_TIMER_OUT": str(timer)}
    first = [str(code)] if code else []
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*first, str(HERE), env.get("PYTHONPATH")]))
    command = ["test", "tests/test_user_suite.py", "-q", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    done = subprocess.run(
        [BIN / "ape", *command, "-p", "suite_timer", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    found = SESSION.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"ape test {' '.join(args)} failed:\n{done.stdout[-3000:]}")
    timed = json.loads(timer.read_text())
    return {
        "session": float(found.group(3)),
        "loop": timed["loop"],
        "wall": wall,
        "session_cpu": timed["session_cpu"],
        "loop_cpu": timed["loop_cpu"],
        "passed": int(found.group(1)),
    }


def measure(rounds: int, baseline: Path | None = None) -> dict[str, dict[str, list[float]]]:
    cells: dict[str, tuple[list[str], Path | None]] = {n: (a, None) for n, a in CELLS.items()}
    if baseline:
        cells |= {f"{n}{BASELINE}": (a, baseline) for n, a in CELLS.items()}
    results: dict[str, dict[str, list[float]]] = {name: {k: [] for k in KEYS} for name in cells}
    names = list(cells)
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]  # interleaved, alternating order
        for name in order:
            timed = run_cell(*cells[name])
            for key in KEYS:
                results[name][key].append(timed[key])
            print(
                f"round {index + 1}: {name}: {timed['session']:.2f} s "
                f"(CPU {timed['session_cpu']:.2f} s), tests {timed['loop']:.2f} s "
                f"(CPU {timed['loop_cpu']:.2f} s) ({timed['passed']} passed)",
                flush=True,
            )
    return results


def ratio_samples(a: list[float], b: list[float]) -> Summary:
    """Per-round ratios b/a (how many times faster a is), so drift between rounds cancels."""
    return Summary.of([y / x for x, y in zip(a, b, strict=True)])


def report(results: dict[str, dict[str, list[float]]], rounds: int, load: str) -> str:
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {rounds} interleaved rounds, "
        f"{os.cpu_count()} cores, load average at start {load}. Command: "
        "`.venv/bin/python bench/suite.py`.",
        "",
        "| cell | tests | pytest session, median (p10–p90) | test loop, median (p10–p90) "
        "| `ape test` wall, median |",
        "|---|---|---|---|---|",
    ]
    for name, cell in results.items():
        s, loop, w = (Summary.of(cell[k]) for k in ("session", "loop", "wall"))
        lines.append(
            f"| {name} | {int(cell['passed'][0])} | {fmt(s.median)} s "
            f"({fmt(s.p10)}–{fmt(s.p90)}) | {fmt(loop.median)} s ({fmt(loop.p10)}–{fmt(loop.p90)}) "
            f"| {fmt(w.median)} s |"
        )
    ours, default, whole = (
        results[name]
        for name in ("ours, no model tests", "Ape default, no model tests", "ours, whole suite")
    )
    lines += [
        "",
        "| cell | session CPU, median (p10–p90) | test loop CPU, median (p10–p90) |",
        "|---|---|---|",
    ]
    for name, cell in results.items():
        s, loop = (Summary.of(cell[k]) for k in ("session_cpu", "loop_cpu"))
        lines.append(
            f"| {name} | {fmt(s.median)} s ({fmt(s.p10)}–{fmt(s.p90)}) "
            f"| {fmt(loop.median)} s ({fmt(loop.p10)}–{fmt(loop.p90)}) |"
        )
    lines += [""]
    for key, what in (
        ("session", "pytest session"),
        ("loop", "test loop"),
        ("session_cpu", "session CPU time"),
        ("loop_cpu", "test loop CPU time"),
    ):
        like = ratio_samples(ours[key], default[key])
        issue = ratio_samples(whole[key], default[key])
        lines += [
            f"- {what}, same tests on both chains (no model tests): ours is "
            f"**{fmt(like.median)}×** as fast as Ape's default (per-round p10–p90 "
            f"{fmt(like.p10)}–{fmt(like.p90)}); issue 13's figure (our whole suite against Ape's "
            f"default without the model tests): **{fmt(issue.median)}×** "
            f"({fmt(issue.p10)}–{fmt(issue.p90)}); the goal is ≥ 1.5×.",
        ]
    lines += [
        "",
        "The session includes what costs the same on both chains: collecting, Ape connecting "
        "(loading every installed plugin), and plugins' end-of-session summaries (hypothesis, "
        "installed with eth-ape, imports itself there); `PYTHONDONTWRITEBYTECODE` is unset for "
        "these runs, as on a user's machine, so pytest's rewritten plugin modules come from its "
        "cache after the first session. The test loop is every test's setup, "
        "call and teardown, Ape's isolation snapshots included (timed by bench/suite_timer.py). "
        "CPU time is what the session process computed (all its threads), from collection to "
        "the end of the summaries: on this shared 2-core machine other processes stretch one "
        "round's wall time and not the next, and its CPU time much less.",
    ]
    return "\n".join(lines)


def record_figures(results: dict[str, dict[str, list[float]]]) -> None:
    default = results["Ape default, no model tests"]
    rows = []
    for key, what in (("session", "pytest session"), ("loop", "test loop")):
        for cell, tests in (
            ("ours, whole suite", "whole suite"),
            ("ours, no model tests", "same tests"),
        ):
            ratio = ratio_samples(results[cell][key], default[key])
            rows.append(
                figure(
                    f"user suite, {what}: ours ({tests}) vs Ape's default (no model tests)",
                    ratio,
                    "≥ 1.5×",
                    ratio.median >= 1.5,
                )
            )
    record("suite", rows)


def print_comparison(results: dict[str, dict[str, list[float]]], rounds: int, load: str) -> None:
    """This checkout's cells, the baseline's, and per-round ratios baseline/this."""
    mine = {n: c for n, c in results.items() if not n.endswith(BASELINE)}
    base = {n.removesuffix(BASELINE): c for n, c in results.items() if n.endswith(BASELINE)}
    print(f"## this checkout\n\n{report(mine, rounds, load)}\n")
    print(f"## baseline (in the same rounds)\n\n{report(base, rounds, load)}\n")
    for name in CELLS:
        for key in ("session", "loop", "session_cpu"):
            ratio = ratio_samples(mine[name][key], base[name][key])
            print(
                f"- {name}, {key}: baseline / this checkout {fmt(ratio.median)}× "
                f"(per-round p10–p90 {fmt(ratio.p10)}–{fmt(ratio.p90)})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; RESULTS.md untouched")
    parser.add_argument("--baseline", type=Path, help="also run these cells on DIR's code")
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    make_project()
    results = measure(args.rounds, args.baseline)
    if args.baseline:
        print_comparison(results, args.rounds, load)
        return
    body = report(results, args.rounds, load)
    record_figures(results)
    if not args.no_write:
        title = "## User-style suite (bench/suite.py)\n\n"
        write_section(HERE / "RESULTS.md", "suite", title + body)
    print(body)


if __name__ == "__main__":
    main()
