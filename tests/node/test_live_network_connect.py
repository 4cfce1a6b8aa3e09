"""OpenGradient's live networks (`alpha`, `ogevm`) in Ape, and what connecting to one that
misbehaves raises.

The networks' RPCs, chain ids, connect timeout and transaction type; `connect` refuses a node
of another chain, a silent one (within the timeout), a closed port and a server that is not
JSON-RPC, each with one readable error. Nothing here leaves 127.0.0.1: the stand-ins are the
node conftest's (a tiny JSON-RPC server, a socket that never answers, a port nobody listens on).
"""

from __future__ import annotations

import time

import pytest
from ape import networks
from live_network_support import HEADERS_SEEN

from ape_opengradient.live_networks import DEFAULT_CONNECT_TIMEOUT_S
from ape_opengradient.live_provider import LiveNetworkError, LiveNodeProvider


def connect(choice: str, **settings: object) -> LiveNodeProvider:
    provider = networks.get_provider_from_choice(choice, provider_settings=settings)
    assert isinstance(provider, LiveNodeProvider)
    provider.connect()
    return provider


def test_live_networks_have_their_rpc_and_chain_id():
    ecosystem = networks.get_ecosystem("opengradient")
    assert {name: ecosystem.get_network(name).chain_id for name in ("alpha", "ogevm")} == {
        "alpha": 10744,
        "ogevm": 10740,
    }
    for name, rpc in (
        ("alpha", "https://eth-devnet.opengradient.ai"),
        ("ogevm", "https://ogevmdevnet.opengradient.ai"),  # no entry in ape-config.yaml
    ):
        provider = networks.get_provider_from_choice(f"opengradient:{name}:node")
        assert type(provider) is LiveNodeProvider
        assert provider.uri == rpc
        assert provider.connect_timeout == DEFAULT_CONNECT_TIMEOUT_S == 10.0


def test_connect_timeout_comes_from_the_settings():
    provider = networks.get_provider_from_choice(
        "opengradient:alpha:node", provider_settings={"connect_timeout": 2.5}
    )
    assert provider.connect_timeout == 2.5


def test_connect_refuses_a_node_of_another_chain(other_chain):
    with pytest.raises(LiveNetworkError) as raised:
        connect("opengradient:alpha:node", uri=other_chain)
    assert str(raised.value) == (
        f"opengradient:alpha expects chain id 10744, but {other_chain} answers 1: point "
        "node.opengradient.alpha.uri at the network's RPC, or add a custom network with "
        "chain_id 1"
    )
    # the probe is sent with Ape's headers, so an RPC answers it like Ape's own requests
    assert HEADERS_SEEN[other_chain][-1]["User-Agent"].startswith("Ape/")


def test_connect_to_a_silent_node_fails_within_the_timeout(silent):
    start = time.monotonic()
    with pytest.raises(LiveNetworkError) as raised:
        connect("opengradient:ogevm:node", uri=silent, connect_timeout=1)
    elapsed = time.monotonic() - start
    assert str(raised.value) == (
        f"opengradient:ogevm: {silent} did not answer within 1 s "
        "(node.opengradient.ogevm.connect_timeout)"
    )
    assert 1 <= elapsed < 5


def test_connect_to_a_closed_port(closed_port):
    with pytest.raises(LiveNetworkError) as raised:
        connect("opengradient:alpha:node", uri=closed_port)
    assert str(raised.value) == (
        f"opengradient:alpha: {closed_port} is unreachable: Connection refused"
    )


def test_connect_to_a_server_that_is_not_json_rpc(not_json_rpc):
    with pytest.raises(LiveNetworkError) as raised:
        connect("opengradient:alpha:node", uri=not_json_rpc)
    assert str(raised.value) == (
        f"opengradient:alpha: {not_json_rpc} is not a JSON-RPC node: eth_chainId got HTTP 404 "
        "'<html><body>404 Not Found</body></html>'"
    )


def test_live_networks_send_legacy_transactions_like_the_sdk():
    ecosystem = networks.get_ecosystem("opengradient")
    assert ecosystem.get_network("alpha").config.default_transaction_type == 0
    assert ecosystem.get_network("ogevm").config.default_transaction_type == 0  # plugin default
