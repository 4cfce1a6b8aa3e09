"""A user's own project, from the distribution alone: build the wheel and sdist, install the
wheel into a fresh venv outside the repository (package registries only, no constraints file,
nothing copied from the repository), `ogkit init` a project, then follow the README's
tutorial (a model and a contract of the user's own) and run `ape test` there on
`opengradient:local` and `opengradient:local:node`.

Slow by nature (a full `pip install`, ~1 min with a warm pip cache): one venv per module.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from node_support import free_port, post

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
    assert "wrote" not in out and "  unchanged  9 files" in out
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


# --------------------------------------------------------------------------- Foundry beside Ape
FOUNDRY_STEPS = re.compile(r"<!-- foundry: (\S+) -->\n```[a-z]*\n(.*?)```", re.S)
NPM_BIN = REPO / "node_modules" / ".bin"
DEPLOY_SCRIPT = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "../contracts/Forecaster.sol";

interface Vm {
    function startBroadcast() external;
    function stopBroadcast() external;
}

contract Deploy {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (Forecaster forecaster) {
        vm.startBroadcast();
        forecaster = new Forecaster("forecaster");
        vm.stopBroadcast();
    }
}
"""


def _started_node(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(root / "node.log", "wb")  # noqa: SIM115 - the child owns it
    node = subprocess.Popen(
        ["ogkit", "node", "--port", str(port), "-q"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    for _ in range(600):
        try:
            status, _ = post(
                f"http://127.0.0.1:{port}",
                b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
                timeout=5,
            )
            if status == 200:
                return node, port
        except OSError:
            pass
        time.sleep(0.05)
    node.kill()
    raise AssertionError(f"ogkit node did not start: {(root / 'node.log').read_text()}")


@pytest.mark.skipif(
    not (sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")),
    reason="the npm forge and cast binaries exist for linux-x64 only",
)
def test_foundry_deploys_calls_and_tests_against_recorded_answers(
    user_project: Path, user_env: dict[str, str], tmp_path: Path
):
    """The README's Foundry steps in a copy of the user's project: forge builds with the
    offline solc, deploys to `ogkit node`, cast gets the model's answer, and a forge test
    passes against the answers `ogkit export-mocks` exported."""
    assert (NPM_BIN / "forge").exists(), "npm ci (make setup) installs forge"
    root = tmp_path / "project"
    shutil.copytree(user_project, root, ignore=shutil.ignore_patterns(".build", "node*.log"))
    home = tmp_path / "home"  # forge's compiler folder lives under HOME: keep the real one clean
    home.mkdir()
    env = {**user_env, "HOME": str(home), "PATH": f"{NPM_BIN}{os.pathsep}{user_env['PATH']}"}
    node, port = _started_node(root, env)
    try:
        outputs = []
        for target, text in FOUNDRY_STEPS.findall((REPO / "README.md").read_text()):
            if target != "shell":
                (root / target).write_text(text)
                continue
            script = text.replace("127.0.0.1:8545", f"127.0.0.1:{port}")
            outputs.append(run("bash", "-c", f"set -e\n{script}", cwd=root, env=env))
        (root / "script").mkdir()
        (root / "script" / "Deploy.s.sol").write_text(DEPLOY_SCRIPT)
        key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        script = run(
            "forge",
            "script",
            "script/Deploy.s.sol",
            "--rpc-url",
            f"http://127.0.0.1:{port}",
            "--private-key",
            key,
            "--broadcast",
            "--skip-simulation",
            cwd=root,
            env=env,
        )
    finally:
        node.kill()
        node.wait(timeout=30)
    linked = home / ".local" / "share" / "svm" / "0.8.28" / "solc-0.8.28"
    assert linked.is_symlink() and "solc-v0.8.28" in str(linked.resolve())
    steps, tests = outputs
    assert "102525 [1.025e5]" in steps.splitlines()  # cast call value()
    assert "wrote test/OGInferenceMock.sol: 1 recorded calls" in steps
    mock = (root / "test" / "OGInferenceMock.sol").read_text()
    assert mock.count("if (key == 0x") == 1
    assert "2 passed; 0 failed" in tests, tests
    assert "ONCHAIN EXECUTION COMPLETE & SUCCESSFUL" in script
