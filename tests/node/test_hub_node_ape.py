"""Ape through `opengradient:local:node` with the hub and the scheduler at their alpha
addresses: `hub.run` returns the model output and its receipt decodes both events; a task
registered from Ape is run by the node when Ape's `chain.mine()` reaches its time.

The script runs in its own process, as `ape run` would (see test_node_ape.py)."""

from __future__ import annotations

from node_support import run_result_script
from store_support import UPSTREAM_STYLE_CID

SCRIPT = r"""
import json, sys
from ape import accounts, chain, networks, project

HUB = "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE"
SCHEDULER = "0x7179724De4e7FF9271FA40C0337c7f90C0508eF6"
CID = sys.argv[2]
INPUT = ((("input", ((7286679744720459, 17), (4486280852050781, 16)), (2,)),), ())

def plain(value):
    if isinstance(value, (str, bytes, int, bool)):
        return value
    if hasattr(value, "model_dump"):
        return [plain(v) for v in value.__dict__.values()]
    return [plain(v) for v in value]

out = {}
with networks.parse_network_choice(
    "opengradient:local:node", provider_settings={"uri": sys.argv[1]}
) as provider:
    owner = accounts.test_accounts[0]
    hub = project.InferenceHub.at(HUB)
    receipt = hub.run(CID, 0, INPUT, sender=owner)
    out["status"] = receipt.status
    out["events"] = [
        (log.event_name, log.contract_address) for log in receipt.decode_logs()
    ]
    out["output"] = plain(receipt.decode_logs()[1].output)

    scheduler = project.TaskScheduler.at(SCHEDULER)
    runner = owner.deploy(project.ScheduledDemoRunner, CID)
    start = chain.blocks.head.timestamp
    scheduler.registerTask(runner, start + 100 * 3600, 3600, sender=owner)
    chain.mine()
    first = runner.runTimes(0)
    chain.pending_timestamp = first + 3600
    chain.mine()
    chain.pending_timestamp = first + 2 * 3600
    chain.mine()
    out["runs"] = runner.runCount()
    out["times"] = [runner.runTimes(i) - first for i in range(runner.runCount())]
    out["outputs"] = [plain(o)[0][0][1] for o in runner.call_view_method("history")]
print("RESULT " + json.dumps(out))
"""


def test_hub_and_scheduled_runs_through_ape_on_the_node(node, tmp_path, model_store, project):
    for name in ("InferenceHub", "TaskScheduler", "ScheduledDemoRunner"):
        getattr(project, name)  # compiled (and cached in .build) before the script runs
    result = run_result_script(
        SCRIPT, tmp_path / "ape_hub_script.py", model_store.root, node.url, UPSTREAM_STYLE_CID
    )

    assert result["status"] == 1
    assert result["events"] == [
        ["ModelInferenceEvent", "0x00000000000000000000000000000000000000F4"],
        ["InferenceResult", "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE"],
    ]
    assert result["output"] == [[["output", [[17141955, 8]], [1]]], [], [], False]
    assert result["runs"] == 3
    assert result["times"] == [0, 3600, 7200]
    assert result["outputs"] == [[[175, 2]], [[375, 2]], [[575, 2]]]
