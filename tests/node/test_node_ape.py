"""Ape through `opengradient:local:node`: a script deploys an inference contract and calls it.

The script runs in its own process (as `ape run` would), once against a node that is
already running and once against a free port, where the provider starts `ogkit node`
itself (like ape-foundry with anvil) and stops it when the script disconnects.
"""

from __future__ import annotations

import json

import pytest
from node_support import (
    SENTIMENT_SCORE,
    SENTIMENT_WORDS,
    free_port,
    post,
    run_result_script,
)

OG_INFERENCE = "0x" + "00" * 19 + "f4"
RUN_MODEL_INFERENCE = "0x7289e9c2"

SCRIPT = r"""
import io, json, sys
import ape
from ape import accounts, networks, project

WORDS = json.loads(sys.argv[3])

def exercise(uri):
    out = {}
    choice = "opengradient:local:node"
    with networks.parse_network_choice(choice, provider_settings={"uri": uri}) as provider:
        out["provider"] = type(provider).__name__
        out["chain_id"] = provider.chain_id
        out["managed"] = provider.process is not None
        owner = accounts.test_accounts[0]
        gate = owner.deploy(project.SentimentGate, "sentiment")
        receipt = gate.submit(WORDS, sender=owner)
        out["status"] = receipt.status
        out["events"] = [log.event_name for log in receipt.decode_logs()]
        out["inferences"] = [
            (c["function"], c["modelId"], c["mode"], c["caller"]) for c in receipt.inferences
        ]
        out["gate"] = gate.address.lower()
        out["supports_tracing"] = provider.supports_tracing
        tree = receipt.trace.get_calltree()
        out["trace_calls"] = [
            ("0x" + bytes(c.address).hex(), "0x" + bytes(c.calldata[:4]).hex(), c.call_type.value)
            for c in tree.calls
        ]
        shown = io.StringIO()
        receipt.show_trace(file=shown)
        out["shown"] = shown.getvalue()
        out["verdict"] = list(gate.verdicts(owner))[:3]
        snapshot = provider.snapshot()
        gate.submit(["rug", "pull", "panic"], sender=owner)
        out["after_negative"] = gate.isPositive(owner)
        provider.restore(snapshot)
        out["restored"] = gate.isPositive(owner)
        try:
            gate.submit([], sender=owner)
            out["revert"] = None
        except ape.exceptions.ContractLogicError as err:
            out["revert"] = type(err).__name__
    return out

print("RESULT " + json.dumps({"running": exercise(sys.argv[1]), "started": exercise(sys.argv[2])}))
"""


def test_ape_script_through_the_node_provider(node, tmp_path, model_store, project):
    project.SentimentGate  # noqa: B018 - compiled (and cached in .build) before the script runs
    fresh_uri = f"http://127.0.0.1:{free_port()}"
    result = run_result_script(
        SCRIPT,
        tmp_path / "ape_node_script.py",
        model_store.root,
        node.url,
        fresh_uri,
        json.dumps(SENTIMENT_WORDS),
    )

    for name, managed in (("running", False), ("started", True)):
        run = result[name]
        assert run["provider"] == "OGNodeProvider"
        assert run["chain_id"] == 1337
        assert run["managed"] is managed
        assert run["status"] == 1
        assert run["events"] == ["ModelInferenceEvent", "SentimentRecorded"]
        assert run["inferences"] == [["runModelInference", "sentiment", 0, run["gate"]]]
        # the call trace through the node (debug_traceTransaction, callTracer)
        assert run["supports_tracing"] is True
        assert run["trace_calls"] == [[OG_INFERENCE, RUN_MODEL_INFERENCE, "CALL"]]
        assert "SentimentGate.submit" in run["shown"], run["shown"]
        assert "runModelInference" in run["shown"], run["shown"]
        assert run["verdict"] == [*SENTIMENT_SCORE, True]
        assert run["after_negative"] is False
        assert run["restored"] is True
        assert run["revert"] is not None
    # the node the provider started is gone with the script
    with pytest.raises(OSError):
        post(fresh_uri, b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}', timeout=5)
