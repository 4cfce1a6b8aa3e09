"""`ogkit node --payments` as a node: its genesis state is the same every time (the predeployed
contracts are deterministic), `--data-dir` resumes it, a data directory is never reopened as
the other kind of chain, `ogkit facilitator` serves on it, and both run in one process."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest
from eth_account import Account
from node_support import DEV_KEYS, OGKIT, free_port
from payment_support import PAY_TO, Payer
from web3 import Web3

from ogkit.node import DataDirError, NodeChain, NodeConfig
from ogkit.node.rpc.params import BlockRef
from ogkit.payments.chain import payment_config
from ogkit.payments.contracts import OPG_ADDRESS, canonical, facilitator_address
from ogkit.payments.local import start_local_payments
from ogkit.payments.offers import exact_offer

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


def test_local_payments_in_one_process():
    local = start_local_payments()
    try:
        w3 = Web3(Web3.HTTPProvider(local.rpc_url))
        assert w3.eth.chain_id == 8453
        payer = Payer(w3, DEV_KEYS[1])
        message, signature = payer.authorization(value=321)
        authorization = {k: str(v) for k, v in message.items() if k != "nonce"}
        authorization["nonce"] = "0x" + message["nonce"].hex()
        terms = exact_offer(321, PAY_TO)
        payload = {
            "x402Version": 2,
            "payload": {"signature": "0x" + signature.hex(), "authorization": authorization},
            "accepted": terms,
        }
        assert local.facilitator.verify(payload, terms).is_valid
        settled = local.facilitator.settle(payload, terms)
        assert settled.success and settled.payer == Account.from_key(DEV_KEYS[1]).address
    finally:
        local.close()
