"""What every namespace module shares: the handler type and the no-params check."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ogkit.node.rpc import params as p

if TYPE_CHECKING:
    from ogkit.node.chain import NodeChain

Handler = Callable[[Any], Any]
"""A method: the request's `params` in, the JSON result out (or an `RpcError` raised)."""


class Methods:
    """One namespace's methods over the node's chain; `table()` names them."""

    def __init__(self, node: NodeChain) -> None:
        self.node = node

    def table(self) -> dict[str, Handler]:
        raise NotImplementedError

    @staticmethod
    def _none(params: Any, method: str) -> None:
        p.Args(params, method, 0, 0)
        return None
