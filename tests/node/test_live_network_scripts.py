"""What a user sees running scripts on OpenGradient's live networks, against stand-ins.

`ape run deploy`/`exercise --network opengradient:alpha:<URL>` as a user runs them: one-line
errors for a missing or unknown account, missing model ids, no deployment, a node of another
chain and a silent one; a user's own project and `ogkit init`'s scaffold pointed at alpha in
their config; and the examples deployed and run end to end. The "live" alpha node is an
`ogkit node` serving alpha's chain id; the other stand-ins are the node conftest's. Nothing
here leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_support import ROOT, NodeProcess, run_result_script

from ape_opengradient.live_networks import DEFAULT_CONNECT_TIMEOUT_S

APE = Path(sys.executable).with_name("ape")
MODEL_OPTIONS = [
    "--volatility-model",
    "QmVolatility",
    "--credit-risk-model",
    "QmCreditRisk",
    "--sentiment-model",
    "QmSentiment",
    "--upstream-model",
    "QmUpstream",
]


@pytest.fixture(scope="module")
def alpha_node(tmp_path_factory, model_store) -> Iterator[NodeProcess]:
    """`ogkit node` with alpha's chain id: what a healthy alpha RPC looks like to Ape."""
    node = NodeProcess(
        tmp_path_factory.mktemp("alpha"),
        "--chain-id",
        "10744",
        "--allow-dev-keys",
        store=model_store.root,
    )
    yield node.start()
    node.stop()


def ape_run(*args: str, store: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "OGKIT_MODEL_STORE": str(store), "COLUMNS": "200"}
    start = time.monotonic()
    done = subprocess.run(
        [str(APE), "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    return done, time.monotonic() - start


def one_line_error(done: subprocess.CompletedProcess) -> str:
    """The failure as the user sees it: exit 1, no traceback, one line on stderr."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


CONNECT_SCRIPT = r"""
import json, sys
from ape import networks

choice = "opengradient:alpha:" + sys.argv[1]
with networks.parse_network_choice(choice) as provider:
    out = {
        "provider": type(provider).__name__,
        "chain_id": provider.chain_id,
        "network_choice": provider.network_choice,
        "block": provider.get_block("latest").number >= 0,
    }
print("RESULT " + json.dumps(out))
"""


def test_connect_to_a_node_of_the_network_chain(alpha_node, tmp_path, model_store):
    out = run_result_script(
        CONNECT_SCRIPT, tmp_path / "connect.py", model_store.root, alpha_node.url
    )
    assert out == {
        "provider": "LiveNodeProvider",
        "chain_id": 10744,
        "network_choice": f"opengradient:alpha:{alpha_node.url}",
        "block": True,
    }


def test_deploy_with_an_unknown_account_ends_in_one_line(alpha_node, model_store):
    done, _ = ape_run(
        "deploy",
        "--network",
        f"opengradient:alpha:{alpha_node.url}",
        "--account",
        "nobody",
        *MODEL_OPTIONS,
        store=model_store.root,
    )
    assert one_line_error(done) == (
        "Error: no account named 'nobody': `ape accounts list` shows yours, "
        "`ape accounts import nobody` adds one"
    )


def test_deploy_on_a_live_network_needs_an_account(alpha_node, model_store):
    done, _ = ape_run(
        "deploy",
        "--network",
        f"opengradient:alpha:{alpha_node.url}",
        *MODEL_OPTIONS,
        store=model_store.root,
    )
    assert one_line_error(done) == (
        "Error: opengradient:alpha is a live network: name the sender with --account <alias> "
        "(`ape accounts list` shows yours)"
    )


def test_deploy_on_a_live_network_needs_every_model_id(alpha_node, model_store):
    done, _ = ape_run(
        "deploy",
        "--network",
        f"opengradient:alpha:{alpha_node.url}",
        "--account",
        "nobody",
        "--volatility-model",
        "QmVolatility",
        store=model_store.root,
    )
    assert one_line_error(done) == (
        "Error: opengradient:alpha is a live network: give the ids of models it serves with "
        "--credit-risk-model, --sentiment-model, --upstream-model (the local example names "
        "do not exist there)"
    )


def test_exercise_on_a_live_network_needs_a_deployment(alpha_node, model_store):
    assert not (ROOT / ".ogkit" / "deployments" / "opengradient-alpha.json").exists()
    done, _ = ape_run(
        "exercise",
        "--network",
        f"opengradient:alpha:{alpha_node.url}",
        "--account",
        "nobody",
        store=model_store.root,
    )
    assert one_line_error(done) == (
        "Error: nothing deployed on opengradient:alpha yet: run `ape run deploy --network "
        f"opengradient:alpha:{alpha_node.url} --account <alias>` with the model ids first"
    )


def test_deploy_to_a_node_of_another_chain_ends_in_one_line(other_chain, model_store):
    done, _ = ape_run(
        "deploy", "--network", f"opengradient:alpha:{other_chain}", store=model_store.root
    )
    assert one_line_error(done) == (
        f"Error: opengradient:alpha expects chain id 10744, but {other_chain} answers 1: point "
        "node.opengradient.alpha.uri at the network's RPC, or add a custom network with "
        "chain_id 1"
    )


def test_deploy_to_a_silent_node_fails_within_the_default_timeout(silent, model_store):
    done, elapsed = ape_run(
        "deploy", "--network", f"opengradient:alpha:{silent}", store=model_store.root
    )
    assert one_line_error(done) == (
        f"Error: opengradient:alpha: {silent} did not answer within 10 s "
        "(node.opengradient.alpha.connect_timeout)"
    )
    assert DEFAULT_CONNECT_TIMEOUT_S <= elapsed < DEFAULT_CONNECT_TIMEOUT_S + 60


# --------------------------------------------------------------------------- a user's project


def user_project(path: Path, uri: str, connect_timeout: float) -> Path:
    """A project of a user's own: `opengradient:alpha` pointed at `uri` in its config."""
    (path / "scripts").mkdir(parents=True)
    (path / "scripts" / "deploy.py").write_text((ROOT / "scripts" / "deploy.py").read_text())
    (path / "ape-config.yaml").write_text(
        "name: my-project\n"
        "default_ecosystem: opengradient\n"
        "node:\n"
        "  opengradient:\n"
        "    alpha:\n"
        f"      uri: {uri}\n"
        f"      connect_timeout: {connect_timeout}\n"
    )
    return path


def ape_run_in(project: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    done = subprocess.run(
        [str(APE), "run", *args], cwd=project, capture_output=True, text=True, timeout=180
    )
    return done, time.monotonic() - start


def test_user_project_deploys_to_alpha_node_with_an_unknown_account(alpha_node, tmp_path):
    project = user_project(tmp_path / "my-project", alpha_node.url, 5)
    done, _ = ape_run_in(
        project,
        "deploy",
        "--network",
        "opengradient:alpha:node",
        "--account",
        "nobody",
        *MODEL_OPTIONS,
    )
    assert one_line_error(done) == (
        "Error: no account named 'nobody': `ape accounts list` shows yours, "
        "`ape accounts import nobody` adds one"
    )


def test_user_project_connect_timeout_from_its_config(silent, tmp_path):
    project = user_project(tmp_path / "my-project", silent, 1.5)
    done, elapsed = ape_run_in(project, "deploy", "--network", "opengradient:alpha:node")
    assert one_line_error(done) == (
        f"Error: opengradient:alpha: {silent} did not answer within 1.5 s "
        "(node.opengradient.alpha.connect_timeout)"
    )
    assert elapsed < DEFAULT_CONNECT_TIMEOUT_S + 60


LIVE_DEPLOY_SCRIPT = r"""
import json, os, sys
from ape import accounts, networks, project

from og_examples.demo.inputs import model_ids
from og_examples.demo.contracts import (
    deploy_examples, deployments_file, exercise_examples, load_deployments,
)

url, workdir = sys.argv[1], sys.argv[2]
with networks.parse_network_choice("opengradient:alpha:" + url) as provider:
    project.VolatilityVault  # compile here (the project is this repository)
    os.chdir(workdir)  # the deployment record goes under the test's folder
    ids = model_ids({
        "volatility": "volatility", "credit_risk": "credit_risk",
        "sentiment": "sentiment", "upstream_demo": "upstream_demo", "llm": None,
    })
    sender = accounts.test_accounts[0]  # `ogkit node` funds them, like a faucet would
    deployed = deploy_examples(sender, ids)
    recorded = json.loads(deployments_file().read_text())
    results = exercise_examples(load_deployments(), sender)
    out = {
        "ids": ids,
        "deployed": list(deployed),
        "record": str(deployments_file()),
        "recorded": recorded == {k: str(v.address) for k, v in deployed.items()},
        "results": [(r.contract, r.result) for r in results],
    }
print("RESULT " + json.dumps(out))
"""


def test_examples_deploy_and_run_on_a_live_network(alpha_node, tmp_path, model_store):
    """The live path of deploy and exercise: given ids only, no LLMAssistant unless an LLM id
    is given, addresses recorded per network and read back by exercise."""
    out = run_result_script(
        LIVE_DEPLOY_SCRIPT, tmp_path / "deploy.py", model_store.root, alpha_node.url, str(tmp_path)
    )
    assert out["ids"] == {
        "volatility": "volatility",
        "credit_risk": "credit_risk",
        "sentiment": "sentiment",
        "upstream_demo": "upstream_demo",
    }
    assert out["deployed"] == [
        "VolatilityVault",
        "RiskLendingPool",
        "SentimentGate",
        "UpstreamStyleConsumer",
    ]
    assert out["record"] == ".ogkit/deployments/opengradient-alpha.json"
    assert (tmp_path / out["record"]).is_file()
    assert out["recorded"] is True
    assert [contract for contract, _ in out["results"]] == out["deployed"]
    assert out["results"][0] == [
        "VolatilityVault",
        "forecast volatility 0.006544 -> risky allocation 8953 bps",
    ]
    assert out["results"][2] == ["SentimentGate", "score 4.75, positive=True"]


# --------------------------------------------------------------------------- `ogkit init`'s deploy


def scaffolded_project(path: Path, uri: str) -> Path:
    """What `ogkit init` writes, with `opengradient:alpha` pointed at `uri`."""
    from ogkit import scaffold

    scaffold.create(path)
    with (path / "ape-config.yaml").open("a") as config:
        config.write(f"\nnode:\n  opengradient:\n    alpha:\n      uri: {uri}\n")
    return path


def test_scaffolded_deploy_needs_the_model_id_on_a_live_network(alpha_node, tmp_path):
    project = scaffolded_project(tmp_path / "app", alpha_node.url)
    done, _ = ape_run_in(project, "deploy", "--network", "opengradient:alpha:node")
    assert one_line_error(done) == (
        "Error: opengradient:alpha is a live network: pass --model-id (the model's id "
        "there); 'forecaster' exists only in this project's store"
    )
    done, _ = ape_run_in(
        project, "deploy", "--network", "opengradient:alpha:node", "--model-id", "QmX"
    )
    assert one_line_error(done) == (
        "Error: opengradient:alpha is a live network: name the sender with --account "
        "<alias> (`ape accounts list` shows yours)"
    )
