"""`ogkit node --payments` as a node: its genesis state is the same every time (the predeployed
contracts are deterministic), `--data-dir` resumes it, a data directory is never reopened as
the other kind of chain, and `ogkit facilitator` serves on it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest
from node_support import OGKIT, free_port

from ogkit.node import DataDirError, NodeChain, NodeConfig
from ogkit.node.rpc.params import BlockRef
from ogkit.payments.chain import payment_config
from ogkit.payments.contracts import OPG_ADDRESS, canonical, facilitator_address

LATEST = BlockRef(tag="latest")


def _open(data_dir=None, payments: bool = True) -> NodeChain:
    config = NodeConfig(data_dir=data_dir, settlement=False)
    return NodeChain(payment_config(config) if payments else config)


def test_genesis_is_deterministic_and_holds_opg():
    first, second = _open(), _open()
    try:
        # the genesis block carries its creation time; the state is the same every time
        assert first.head.state_root == second.head.state_root
        assert first.chain_id == 8453
        assert len(first.code_of(canonical(OPG_ADDRESS), LATEST)) > 1000
    finally:
        first.close()
        second.close()


def test_data_dir_resumes_and_is_never_reopened_as_the_other_chain(tmp_path):
    payments_dir, ai_dir = tmp_path / "pay", tmp_path / "ai"
    chain = _open(payments_dir)
    genesis = chain.genesis_hash
    chain.close()
    with pytest.raises(DataDirError, match="holds payments, not the AI chain"):
        _open(payments_dir, payments=False)
    chain = _open(payments_dir)
    try:
        assert (chain.resumed, chain.genesis_hash, chain.chain_id) == (True, genesis, 8453)
    finally:
        chain.close()
    _open(ai_dir, payments=False).close()
    with pytest.raises(DataDirError, match="holds the AI chain, not payments"):
        _open(ai_dir)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.loads(reply.read())


def test_ogkit_facilitator_serves_on_the_payment_chain(pay_node, tmp_path):
    port = free_port()
    log = open(tmp_path / "facilitator.log", "wb")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        [str(OGKIT), "facilitator", "--rpc-url", pay_node.url, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                supported = _get(f"http://127.0.0.1:{port}/supported")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "facilitator.log"
                ).read_text()
                time.sleep(0.1)
        assert [kind["scheme"] for kind in supported["kinds"]] == ["exact", "upto"]
        assert supported["signers"] == {"eip155:*": [facilitator_address()]}
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def test_ogkit_facilitator_without_a_chain_says_so():
    done = subprocess.run(
        [str(OGKIT), "facilitator", "--rpc-url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "cannot reach the payment chain" in done.stderr
