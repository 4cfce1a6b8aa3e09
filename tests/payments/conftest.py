"""Fixtures of the payment tests: one `ogkit node --payments` process per module (the real
command), a web3 client on it, the payment contracts there, and signing helpers."""

from __future__ import annotations

import pytest
from node_support import DEV_KEYS, NodeProcess
from payment_support import Payer
from web3 import Web3

from ogkit.payments.contracts import (
    OPG_ADDRESS,
    PERMIT2_ADDRESS,
    UPTO_PROXY_ADDRESS,
    opg_abi,
    permit2_abi,
    upto_proxy_abi,
)


@pytest.fixture(scope="module")
def pay_node(tmp_path_factory):
    process = NodeProcess(tmp_path_factory.mktemp("pay-node"), "--payments").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def w3(pay_node):
    return Web3(Web3.HTTPProvider(pay_node.url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def opg(w3):
    return w3.eth.contract(OPG_ADDRESS, abi=opg_abi())


@pytest.fixture(scope="module")
def permit2(w3):
    return w3.eth.contract(PERMIT2_ADDRESS, abi=permit2_abi())


@pytest.fixture(scope="module")
def proxy(w3):
    return w3.eth.contract(UPTO_PROXY_ADDRESS, abi=upto_proxy_abi())


@pytest.fixture(scope="module")
def payer(w3):
    """Dev account 1: pays."""
    return Payer(w3, DEV_KEYS[1])


@pytest.fixture(scope="module")
def relayer(w3):
    """Dev account 3: submits signed authorizations (any account may)."""
    return Payer(w3, DEV_KEYS[3])
