"""`web3_*` and `net_*`: the client's name, keccak, the network id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from ogkit.chain.hexjson import b
from ogkit.node.rpc import params as p
from ogkit.node.rpc.methods.base import Handler, Methods

if TYPE_CHECKING:
    from ogkit.node.chain import NodeChain


class NetMethods(Methods):
    def __init__(self, node: NodeChain, client_version: str) -> None:
        super().__init__(node)
        self.client_version = client_version

    def table(self) -> dict[str, Handler]:
        return {
            "web3_clientVersion": self.web3_client_version,
            "web3_sha3": self.web3_sha3,
            "net_version": self.net_version,
            "net_listening": lambda params: self._none(params, "net_listening") or True,
            "net_peerCount": lambda params: self._none(params, "net_peerCount") or "0x0",
        }

    def web3_client_version(self, params: Any) -> str:
        p.Args(params, "web3_clientVersion")
        return self.client_version

    def web3_sha3(self, params: Any) -> str:
        a = p.Args(params, "web3_sha3", 1, 1)
        return b(keccak(p.data(a[0], "data")))

    def net_version(self, params: Any) -> str:
        p.Args(params, "net_version")
        return str(self.node.chain_id)
