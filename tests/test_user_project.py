"""A user's own project, from the distribution alone: build the wheel and sdist, install the
wheel into a fresh venv outside the repository (package registries only, no constraints file,
nothing copied from the repository), `ogkit init` a project, add a model and a contract of
the test's own, and run `ape test` there on `opengradient:local` and `opengradient:local:node`.

Slow by nature (a full `pip install`, ~1 min with a warm pip cache): one venv per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from onnx import TensorProto, helper
from test_node_support import free_port

REPO = Path(__file__).resolve().parents[1]
VERSION = "0.1.0"

DOUBLER_SOL = textwrap.dedent(
    """\
    // SPDX-License-Identifier: MIT
    pragma solidity ^0.8.20;

    import "opengradient-neuroml/src/OGInference.sol";

    contract Doubler {
        int128[] public values;

        function double(TensorLib.Number[] memory xs) external {
            ModelInput memory input = ModelInput(
                new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0));
            input.numbers[0] = TensorLib.numberTensor1D("x", xs);
            ModelOutput memory out = OG_INFERENCE_CONTRACT.runModelInference(
                ModelInferenceRequest(ModelInferenceMode.VANILLA, "doubler", input));
            delete values;
            for (uint256 i = 0; i < out.numbers[0].values.length; i++) {
                values.push(out.numbers[0].values[i].value);
            }
        }
    }
    """
)

DOUBLER_TEST = textwrap.dedent(
    """\
    def test_doubler_runs_my_model(accounts, project):
        doubler = accounts[0].deploy(project.Doubler)
        doubler.double([(3, 0), (-7, 0), (21, 0)], sender=accounts[0])
        assert [doubler.values(i) for i in range(3)] == [6, -14, 42]
    """
)


def doubler_onnx() -> bytes:
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["y"])],
        "doubler",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
        initializer=[helper.make_tensor("two", TensorProto.FLOAT, [1], [2.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


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


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OGKIT_", "SOLCX_"))}
    run(sys.executable, "-m", "build", "--outdir", out, REPO, cwd=REPO, env=env)
    return out


@pytest.fixture(scope="module")
def user_env(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> dict[str, str]:
    """A fresh venv with only the wheel installed, and a user environment pointing at it:
    no repository variables, its own ogkit home (compiler) and Ape data folder."""
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=home, env=dict(os.environ))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OGKIT_", "SOLCX_", "APE_"))}
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "OGKIT_HOME": str(home / "ogkit-home"),
        "APE_DATA_FOLDER": str(home / "ape-data"),
    }
    env.pop("PYTHONPATH", None)
    wheel = dist / f"ape_opengradient-{VERSION}-py3-none-any.whl"
    run(venv / "bin" / "pip", "install", "-q", wheel, cwd=home, env=env)
    return env


def test_distribution_passes_twine_check(dist: Path):
    names = sorted(p.name for p in dist.iterdir())
    assert names == [
        f"ape_opengradient-{VERSION}-py3-none-any.whl",
        f"ape_opengradient-{VERSION}.tar.gz",
    ]
    out = run(
        sys.executable,
        "-m",
        "twine",
        "check",
        *sorted(dist.iterdir()),
        cwd=dist,
        env=dict(os.environ),
    )
    assert out.count("PASSED") == 2


def test_the_installed_package_is_not_the_repository(user_env: dict[str, str], tmp_path: Path):
    where = run(
        "python",
        "-c",
        "import ogkit.solidity as s; print(s.SOURCE_DIR)",
        cwd=tmp_path,
        env=user_env,
    )
    assert Path(where.strip()).is_relative_to(Path(user_env["VIRTUAL_ENV"]))
    assert "opengradient" in run("ape", "plugins", "list", cwd=tmp_path, env=user_env)


@pytest.fixture(scope="module")
def user_project(user_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ogkit init`, then the user's own model and contract next to the scaffolded ones."""
    root = tmp_path_factory.mktemp("work") / "my-ai-app"
    out = run("ogkit", "init", root, cwd=root.parent, env=user_env)
    assert "model      forecaster -> bafkrei" in out
    (root / "doubler.onnx").write_bytes(doubler_onnx())
    run("ogkit", "models", "add", "doubler.onnx", "--alias", "doubler", cwd=root, env=user_env)
    (root / "contracts" / "Doubler.sol").write_text(DOUBLER_SOL)
    (root / "tests" / "test_doubler.py").write_text(DOUBLER_TEST)
    port = free_port()
    with (root / "ape-config.yaml").open("a") as config:
        config.write(f"\nnode:\n  opengradient:\n    local:\n      uri: http://127.0.0.1:{port}\n")
    return root


@pytest.mark.parametrize("network", ["opengradient:local", "opengradient:local:node"])
def test_ape_test_passes_in_the_users_project(
    user_project: Path, user_env: dict[str, str], network: str
):
    out = run("ape", "test", "--network", network, cwd=user_project, env=user_env)
    assert "2 passed" in out, out
    assert "failed" not in out


def test_a_second_init_changes_nothing(user_project: Path, user_env: dict[str, str]):
    before = {
        p: p.read_bytes()
        for p in user_project.rglob("*")
        if p.is_file() and ".build" not in p.parts
    }
    out = run("ogkit", "init", ".", "--no-toolchain", cwd=user_project, env=user_env)
    assert "wrote" not in out
    after = {
        p: p.read_bytes()
        for p in user_project.rglob("*")
        if p.is_file() and ".build" not in p.parts
    }
    assert after == before


def test_pip_install_from_git(tmp_path: Path, user_env: dict[str, str]):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=dict(os.environ))
    run(venv / "bin" / "pip", "install", "-q", f"git+file://{REPO}", cwd=tmp_path, env=user_env)
    out = run(venv / "bin" / "ogkit", "toolchain", "--help", cwd=tmp_path, env=user_env)
    assert "install" in out
    files = run(
        venv / "bin" / "python",
        "-c",
        "import ogkit.solidity as s, os; print(sorted(os.listdir(s.SOURCE_DIR)))",
        cwd=tmp_path,
        env=user_env,
    )
    assert "OGInference.sol" in files and "solc-wrapper.sh" in files
