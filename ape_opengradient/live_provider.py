"""The `node` provider of OpenGradient's live networks: ape_node's `Node`, plus a bounded
first contact.

Before Ape starts talking to the node, one `eth_chainId` request with a short timeout
checks that something answers at the URL and that it serves the chain the network names.
Without it a silent node hangs for Ape's 30-minute request timeout, and a moved RPC (as
when OpenGradient's explorer left eth-devnet for ogevmdevnet) only shows later, as
rejected signatures.
"""

from __future__ import annotations

import re
from typing import ClassVar

import requests
from ape.exceptions import ProviderError
from ape_node import Node

from ape_opengradient.live_networks import DEFAULT_CONNECT_TIMEOUT_S, LIVE_NETWORKS


class LiveNetworkError(ProviderError):
    """A live network's node is unreachable, silent, or serves another chain."""


class LiveNodeProvider(Node):
    """`opengradient:<live network>:node`, its URI defaulting to the network's public RPC."""

    NAME: ClassVar[str | None] = "node"
    """Ape names providers after their package (`opengradient`) unless told."""

    @property
    def _default_http_uri(self) -> str | None:
        if net := LIVE_NETWORKS.get(self.network.name):
            return net.rpc
        return super()._default_http_uri

    @property
    def connect_timeout(self) -> float:
        """Seconds to wait for the first answer: `node.opengradient.<network>.connect_timeout`
        in ape-config.yaml (or `connect_timeout` in the provider settings)."""
        value = self.settings.get("connect_timeout") or self._network_config.get("connect_timeout")
        return float(value) if value else DEFAULT_CONNECT_TIMEOUT_S

    def connect(self) -> None:
        if uri := self.http_uri:  # ws:// and IPC endpoints go straight to Ape
            self._check_chain_id(self.probe_chain_id(uri))
        super().connect()

    def probe_chain_id(self, uri: str) -> int:
        """`eth_chainId` at `uri` within `connect_timeout`; a one-line error otherwise."""
        timeout = self.connect_timeout
        where = f"{self.network.choice}: {self._clean_uri}"
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        # The headers Ape sends (User-Agent, any configured `request_headers` such as an
        # RPC key), so the probe is answered like the requests that follow it.
        headers = self.network_manager.get_request_headers(
            self.network.ecosystem.name, self.network.name, self.name
        )
        try:
            response = requests.post(uri, json=body, headers=dict(headers), timeout=timeout)
        except requests.Timeout:
            raise LiveNetworkError(
                f"{where} did not answer within {timeout:g} s "
                f"(node.opengradient.{self.network.name}.connect_timeout)"
            ) from None
        except requests.RequestException as err:
            raise LiveNetworkError(f"{where} is unreachable: {_reason(err)}") from None
        try:
            response.raise_for_status()
            return int(response.json()["result"], 16)
        except (requests.HTTPError, ValueError, KeyError, TypeError):
            answer = response.text.strip().replace("\n", " ")[:120]
            raise LiveNetworkError(
                f"{where} is not a JSON-RPC node: eth_chainId got HTTP "
                f"{response.status_code} {answer!r}"
            ) from None

    def _check_chain_id(self, actual: int) -> None:
        expected = self.network.chain_id
        if actual != expected:
            raise LiveNetworkError(
                f"{self.network.choice} expects chain id {expected}, but {self._clean_uri} "
                f"answers {actual}: point node.opengradient.{self.network.name}.uri at the "
                f"network's RPC, or add a custom network with chain_id {actual}"
            )


def _reason(err: requests.RequestException) -> str:
    """The socket-level cause (`[Errno 111] Connection refused`), not urllib3's wrapping."""
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(err))
    return match[1].strip() if match else type(err).__name__
