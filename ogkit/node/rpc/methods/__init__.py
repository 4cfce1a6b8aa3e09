"""The JSON-RPC methods, one module per namespace; each registers its own in `table()`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogkit.node.rpc.filters import Filters
from ogkit.node.rpc.methods.base import Handler
from ogkit.node.rpc.methods.blocks import BlockMethods
from ogkit.node.rpc.methods.debug import DebugMethods
from ogkit.node.rpc.methods.dev import DevMethods
from ogkit.node.rpc.methods.eth import EthMethods
from ogkit.node.rpc.methods.logs import LogMethods
from ogkit.node.rpc.methods.net import NetMethods
from ogkit.node.rpc.methods.ogkit import OgkitMethods
from ogkit.node.rpc.methods.simulate import SimulateMethods
from ogkit.node.rpc.methods.txpool import TxPoolMethods

if TYPE_CHECKING:
    from ogkit.node.chain import NodeChain


def method_table(node: NodeChain, client_version: str, filters: Filters) -> dict[str, Handler]:
    """Every method the node answers, by name."""
    table: dict[str, Handler] = {}
    for group in (
        NetMethods(node, client_version),
        EthMethods(node),
        BlockMethods(node),
        LogMethods(node, filters),
        DevMethods(node),
        DebugMethods(node),
        OgkitMethods(node),
        TxPoolMethods(node),
        SimulateMethods(node),
    ):
        table.update(group.table())
    return table


__all__ = ["Handler", "method_table"]
