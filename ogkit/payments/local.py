"""A payment chain and its facilitator in this process, for demos and one-process setups
(a gateway's `--dev`): what `ogkit node --payments` and `ogkit facilitator` run, started here.
The facilitator talks to the node over its JSON-RPC port, as it would to another process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ogkit.node import Node, NodeConfig
from ogkit.payments.chain import payment_config
from ogkit.payments.facilitator import Facilitator


@dataclass
class LocalPayments:
    node: Node
    facilitator: Facilitator

    @property
    def rpc_url(self) -> str:
        return self.node.url

    def close(self) -> None:
        self.node.stop()


def start_local_payments(
    host: str = "127.0.0.1", port: int = 0, data_dir: Path | None = None
) -> LocalPayments:
    """Serve the payment chain on `host:port` (0: a free port) and make its facilitator."""
    node = Node(payment_config(NodeConfig(data_dir=data_dir)), host=host, port=port, quiet=True)
    node.start()
    return LocalPayments(node, Facilitator(node.url))
