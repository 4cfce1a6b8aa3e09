"""A user's own project, from the distribution alone: build the wheel and sdist, install the
wheel into a fresh venv outside the repository (package registries only, no constraints file,
nothing copied from the repository), `ogkit init` a project, then follow the README's
tutorial (a model and a contract of the user's own) and run `ape test` there on
`opengradient:local` and `opengradient:local:node`.

Slow by nature (a full `pip install`, ~1 min with a warm pip cache): one venv per module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from node_support import free_port

REPO = Path(__file__).resolve().parents[2]
VERSION = "0.1.0"
WHEEL = f"ape_opengradient-{VERSION}-py3-none-any.whl"
TUTORIAL = re.compile(r"<!-- tutorial: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)
APE_TESTS = ["ape test", "ape test --network opengradient:local:node"]


def tutorial() -> list[tuple[str, str]]:
    """The README's tutorial steps after `ogkit init`: (file to write | "shell", text)."""
    return TUTORIAL.findall((REPO / "README.md").read_text())


def run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def _without(prefixes: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = _without(("OGKIT_", "SOLCX_"))
    run(sys.executable, "-m", "build", "--outdir", out, REPO, cwd=REPO, env=env)
    return out


@pytest.fixture(scope="module")
def user_env(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> dict[str, str]:
    """A fresh venv with only the wheel installed, and a user environment pointing at it:
    no repository variables, its own ogkit home (compiler) and Ape data folder."""
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=home, env=dict(os.environ))
    env = _without(("OGKIT_", "SOLCX_", "APE_", "PYTHONPATH"))
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "OGKIT_HOME": str(home / "ogkit-home"),
        "APE_DATA_FOLDER": str(home / "ape-data"),
    }
    run(venv / "bin" / "pip", "install", "-q", dist / WHEEL, cwd=home, env=env)
    return env


@pytest.fixture(scope="module")
def user_project(user_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ogkit init`, then the README's tutorial: the user's own model, contract and test."""
    root = tmp_path_factory.mktemp("work") / "my-ai-app"
    out = run("ogkit", "init", root, cwd=root.parent, env=user_env)
    assert "model      forecaster -> bafkrei" in out
    # the one change to what the README says: a free port for this test's node
    with (root / "ape-config.yaml").open("a") as config:
        config.write(
            f"\nnode:\n  opengradient:\n    local:\n      uri: http://127.0.0.1:{free_port()}\n"
        )
    for target, text in tutorial():
        if target != "shell":
            (root / target).write_text(text)
            continue
        for line in text.splitlines():
            if line not in APE_TESTS:  # those are the tests below
                run("bash", "-c", line, cwd=root, env=user_env)
    return root


def test_the_readme_tutorial_is_what_is_tested():
    steps = tutorial()
    assert [target for target, _ in steps] == [
        "scripts/make_doubler.py",
        "shell",
        "contracts/Doubler.sol",
        "tests/test_doubler.py",
        "tests/test_doubler_mocked.py",
        "shell",
    ]
    assert steps[-1][1].splitlines() == APE_TESTS


def test_distribution_passes_twine_check(dist: Path):
    files = sorted(dist.iterdir())
    assert [p.name for p in files] == [WHEEL, f"ape_opengradient-{VERSION}.tar.gz"]
    out = run(sys.executable, "-m", "twine", "check", *files, cwd=dist, env=dict(os.environ))
    assert out.count("PASSED") == 2


def test_the_installed_package_is_not_the_repository(user_env: dict[str, str], tmp_path: Path):
    code = "import ogkit.solidity as s; print(s.SOURCE_DIR)"
    where = run("python", "-c", code, cwd=tmp_path, env=user_env)
    assert Path(where.strip()).is_relative_to(Path(user_env["VIRTUAL_ENV"]))
    assert "opengradient" in run("ape", "plugins", "list", cwd=tmp_path, env=user_env)


@pytest.mark.parametrize("command", APE_TESTS)
def test_ape_test_passes_in_the_users_project(
    user_project: Path, user_env: dict[str, str], command: str
):
    out = run(*command.split(), cwd=user_project, env=user_env)
    assert "3 passed" in out, out
    assert "failed" not in out


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_second_init_changes_nothing(user_env: dict[str, str], tmp_path: Path):
    run("ogkit", "init", "again", cwd=tmp_path, env=user_env)
    before = _files(tmp_path / "again")
    out = run("ogkit", "init", ".", cwd=tmp_path / "again", env=user_env)
    assert "wrote" not in out and "  unchanged  8 files" in out
    assert _files(tmp_path / "again") == before


def test_pip_install_from_git(tmp_path: Path, user_env: dict[str, str]):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=dict(os.environ))
    run(venv / "bin" / "pip", "install", "-q", f"git+file://{REPO}", cwd=tmp_path, env=user_env)
    out = run(venv / "bin" / "ogkit", "toolchain", "--help", cwd=tmp_path, env=user_env)
    assert "install" in out
    code = "import ogkit.solidity as s, os; print(sorted(os.listdir(s.SOURCE_DIR)))"
    files = run(venv / "bin" / "python", "-c", code, cwd=tmp_path, env=user_env)
    assert "'OGInference.sol'" in files and "'solc-wrapper.sh'" in files
