"""A user's own Ape project, outside this repository, tested with the plugin's fixtures on
both local providers: `ape test --network opengradient:local:test` and `...:local:node`.

The project has no conftest.py and no contracts (it calls the genesis inference hub through
its committed ABI); its model store is its own `.ogkit/models`, and `OGKIT_MODEL_STORE` is
unset, so the test also shows that a user's tests see the project's store. Each run writes
the records it saw to a JSON file; the two providers' records are then compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from node_support import free_port

from ogkit.models.store import ModelStore

APE = Path(sys.executable).with_name("ape")

USER_TEST = r'''
"""A user's test: fixtures `og` and `mock_model` come with the plugin."""
import dataclasses
import json
import os

import pytest

from ogkit.chain.genesis import INFERENCE_HUB_ADDRESS
from ogkit.contracts import load
from ogkit.inference import MockError
from precompiles.host import ModelNotFound

DEMO = "upstream_demo"  # output = 2 a - 0.5 b + 0.25 (float32)
OUT = os.environ["OG_RECORDS_OUT"]


@pytest.fixture(scope="module")
def hub(chain):
    return chain.contracts.instance_at(INFERENCE_HUB_ADDRESS, abi=load("InferenceHub").abi)


def run(hub, sender, numbers, mode=0):
    receipt = hub.run(DEMO, mode, ((("input", tuple(numbers), (2,)),), ()), sender=sender)
    (event,) = [e for e in receipt.decode_logs() if e.event_name == "ModelInferenceEvent"]
    return event.inferenceID, [(int(v), int(d)) for v, d in event.response[0][0][1]]


def keep(name, value):
    data = json.load(open(OUT)) if os.path.exists(OUT) else {}
    if dataclasses.is_dataclass(value):
        value = {k: (int(v) if k == "mode" else v) for k, v in dataclasses.asdict(value).items()}
    data[name] = value
    with open(OUT, "w") as f:
        json.dump(data, f)


def test_runs_and_records(og, hub, accounts, chain):
    keep("provider", type(chain.provider).__name__)
    before = og.model_runs
    first, out = run(hub, accounts[0], [(1, 0), (2, 0)])
    assert out == [(125, 2)]
    assert og.model_runs == before + 1
    second, out = run(hub, accounts[0], [(1, 0), (2, 0)])
    assert out == [(125, 2)]
    assert og.model_runs == before + 1  # the same input again: no run
    record = og.get_inference_record(first)
    assert (record.model_id, record.mode, record.settlement, record.mocked) == (
        DEMO, 0, "not required", False
    )
    assert og.inference_records() == [og.get_inference_record(second)]
    assert og.inference_records(record.block_number) == [record]
    assert og.wait_for_settlement(first, timeout=10) == record
    keep("vanilla", record)


def test_a_mock(og, mock_model, hub, accounts):
    mock_model(DEMO, {"input": [1.5, 2]}, {"output": [42.25]})
    before = og.model_runs
    mocked, out = run(hub, accounts[0], [(15, 1), (2, 0)])
    assert out == [(4225, 2)]
    assert og.model_runs == before
    record = og.get_inference_record(mocked)
    assert (record.mocked, record.settlement) == (True, "mocked")
    assert og.wait_for_settlement(mocked, timeout=10) == record
    keep("mocked", record)
    real, out = run(hub, accounts[0], [(15, 1), (3, 0)])
    assert out == [(175, 2)]
    assert og.model_runs == before + 1
    assert og.get_inference_record(real).mocked is False
    keep("not-mocked", og.get_inference_record(real))


def test_the_mock_ended_with_its_test(og, hub, accounts):
    before = og.model_runs
    _, out = run(hub, accounts[0], [(15, 1), (2, 0)])
    assert out == [(225, 2)]
    assert og.model_runs == before + 1


def test_mocks_that_do_not_fit(og):
    with pytest.raises(ModelNotFound):
        og.mock_model_output("no-such-model", {"input": [1, 2]}, {"output": [1]})
    with pytest.raises(MockError, match=r"^input 'input' has shape \[3\], model expects \[2\]$"):
        og.mock_model_output(DEMO, {"input": [1, 2, 3]}, {"output": [1]})


def test_a_tee_inference_settles_and_a_mocked_one_never_does(og, mock_model, hub, accounts):
    tee, out = run(hub, accounts[0], [(1, 0), (1, 0)], mode=2)
    assert out == [(175, 2)]
    record = og.wait_for_settlement(tee, timeout=120)
    assert record.settlement == f"settled {record.settlement_tx}"
    assert record.tee_signature is not None and record.mocked is False
    keep("tee", record)
    mock_model(DEMO, {"input": [2, 2]}, {"output": [0]})
    mocked, out = run(hub, accounts[0], [(2, 0), (2, 0)], mode=2)
    assert out == [(0, 0)]
    record = og.wait_for_settlement(mocked, timeout=10)
    assert (record.settlement, record.tee_signature, record.settlement_tx) == ("mocked", None, None)
    keep("tee-mocked", record)
'''


@pytest.fixture(scope="module")
def user_project(tmp_path_factory, model_store) -> Path:
    root = tmp_path_factory.mktemp("og-user-project")
    port = free_port()
    (root / "ape-config.yaml").write_text(
        "name: og-user-project\n"
        "default_ecosystem: opengradient\n"
        "node:\n"
        "  opengradient:\n"
        "    local:\n"
        f"      uri: http://127.0.0.1:{port}\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_inference.py").write_text(USER_TEST)
    demo = model_store.resolve("upstream_demo")
    ModelStore(root / ".ogkit" / "models").add(model_store.read(demo), "upstream_demo")
    return root


def ape_test(root: Path, network: str) -> dict:
    out = root / f"records-{network.replace(':', '-')}.json"
    env = {k: v for k, v in os.environ.items() if k != "OGKIT_MODEL_STORE"}
    env["OG_RECORDS_OUT"] = str(out)
    done = subprocess.run(
        [str(APE), "test", "tests/", "-q", "-p", "no:cacheprovider", "--network", network],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout[-5000:], done.stderr[-5000:])
    assert "5 passed" in done.stdout, done.stdout[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def records(user_project) -> dict[str, dict]:
    return {
        "test": ape_test(user_project, "opengradient:local:test"),
        "node": ape_test(user_project, "opengradient:local:node"),
    }


def test_the_users_tests_pass_on_both_providers(records):
    assert records["test"]["provider"] == "AIProvider"
    assert records["node"]["provider"] == "OGNodeProvider"


@pytest.mark.parametrize("name", ["vanilla", "mocked", "not-mocked"])
def test_records_are_equal_across_providers(records, name):
    local, node = records["test"][name], records["node"][name]
    assert local.keys() == node.keys()
    # the transaction's hash depends on each chain's fee market; everything else is equal
    assert {**local, "transaction_hash": None} == {**node, "transaction_hash": None}
    assert local["mocked"] is (name == "mocked")


def test_tee_records_differ_only_in_what_each_chain_signed_and_sent(records):
    local, node = records["test"]["tee"], records["node"]["tee"]
    chain_specific = {"transaction_hash", "settlement", "settlement_tx", "tee_signature"}
    assert local.keys() == node.keys()
    assert {k: v for k, v in local.items() if k not in chain_specific} == {
        k: v for k, v in node.items() if k not in chain_specific
    }
    for record in (local, node):
        assert record["settlement"] == f"settled {record['settlement_tx']}"
        assert set(record["tee_signature"]) == {"teeId", "timestamp", "messageHash", "signature"}
    mocked = records["test"]["tee-mocked"], records["node"]["tee-mocked"]
    assert [(r["mode"], r["settlement"], r["tee_signature"]) for r in mocked] == [
        (2, "mocked", None),
        (2, "mocked", None),
    ]
