"""A user's test suite, timed on the AI chain and on Ape's default chain (issue 13).

    cd <repo> && .venv/bin/python bench/suite.py [--rounds 5] [--no-write]

Makes a project the way a user does (`ogkit init`), adds a plain contract and the suite in
bench/suite_project/ (deploys, calls, reverts, events, transfers, model calls, Ape's
snapshot isolation between tests), then runs `ape test` on it in interleaved rounds:
`opengradient:local` with the whole suite, `opengradient:local` and `ethereum:local:test`
without the model tests (`-m "not model"`: Ape's chain has no 0xF4). Times are pytest's
session times (collection, compile check, connect and the tests; not interpreter start),
and the wall time of the `ape test` process. Writes the `suite` section of bench/RESULTS.md.
A benchmark, not a test: it never fails on a timing. ape-foundry is not in the pinned
environment, so anvil through Ape is not a column here (bench/node.py compares our node with
anvil through web3.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
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
MARKER = """

def pytest_configure(config):
    config.addinivalue_line("markers", "model: calls a model through 0xF4")
"""


def user_env() -> dict[str, str]:
    """The repository's compiler, and the project's own model store (as a user has)."""
    env = {k: v for k, v in os.environ.items() if k != "OGKIT_MODEL_STORE"}
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


def run_cell(args: list[str]) -> tuple[float, float, int]:
    """(pytest session seconds, process wall seconds, tests passed) of one `ape test`."""
    start = time.perf_counter()
    done = subprocess.run(
        [BIN / "ape", "test", "tests/test_user_suite.py", "-q", "-p", "no:cacheprovider", *args],
        cwd=PROJECT,
        env=user_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    found = SESSION.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"ape test {' '.join(args)} failed:\n{done.stdout[-3000:]}")
    return float(found.group(3)), wall, int(found.group(1))


def measure(rounds: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {
        name: {"session": [], "wall": [], "passed": []} for name in CELLS
    }
    names = list(CELLS)
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]  # interleaved, alternating order
        for name in order:
            session, wall, passed = run_cell(CELLS[name])
            cell = results[name]
            cell["session"].append(session)
            cell["wall"].append(wall)
            cell["passed"].append(passed)
            print(f"round {index + 1}: {name}: {session:.2f} s ({passed} passed)", flush=True)
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
        "| cell | tests | pytest session, median (p10–p90) | `ape test` wall, median |",
        "|---|---|---|---|",
    ]
    for name, cell in results.items():
        s, w = Summary.of(cell["session"]), Summary.of(cell["wall"])
        lines.append(
            f"| {name} | {int(cell['passed'][0])} | {fmt(s.median)} s "
            f"({fmt(s.p10)}–{fmt(s.p90)}) | {fmt(w.median)} s |"
        )
    ours = results["ours, no model tests"]["session"]
    default = results["Ape default, no model tests"]["session"]
    whole = results["ours, whole suite"]["session"]
    like = ratio_samples(ours, default)
    issue = ratio_samples(whole, default)
    lines += [
        "",
        f"- Same tests on both chains (no model tests): ours is **{fmt(like.median)}×** as "
        f"fast as Ape's default (per-round ratios p10–p90 {fmt(like.p10)}–{fmt(like.p90)}).",
        f"- Issue 13's figure (our whole suite against Ape's default without the model tests): "
        f"**{fmt(issue.median)}×** ({fmt(issue.p10)}–{fmt(issue.p90)}); the goal is ≥ 1.5×.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; RESULTS.md untouched")
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    make_project()
    results = measure(args.rounds)
    body = report(results, args.rounds, load)
    if not args.no_write:
        title = "## User-style suite (bench/suite.py)\n\n"
        write_section(HERE / "RESULTS.md", "suite", title + body)
    print(body)


if __name__ == "__main__":
    main()
