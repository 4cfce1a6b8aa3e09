"""`ogkit node`: a persistent JSON-RPC node for the AI chain, in two rooms.

chain/      NodeChain: the chain (py-evm + the AI precompiles), storage, dev controls,
            tracing; a facade over one module per job (its docstring lists them)
rpc/        Rpc: JSON-RPC dispatch and batches, one module per namespace's methods,
            params, formatting, filters, errors; `serve`: the HTTP transport (server.py)
Node        all together, with anvil-style start-up output and logs
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from ogkit.node.chain import DataDirError, MinedTx, NodeChain, NodeConfig
from ogkit.node.rpc import Rpc, describe_mined
from ogkit.node.rpc.connections import ServerLimits, ensure_descriptors
from ogkit.node.rpc.server import MAX_BODY_BYTES, RpcHTTPServer, serve

if TYPE_CHECKING:
    from ogkit.settlement import SettlementService

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8545


def client_version() -> str:
    try:
        own = version("ape-opengradient")
    except PackageNotFoundError:
        own = "dev"
    return f"ogkit-node/v{own}/python{sys.version_info.major}.{sys.version_info.minor}/py-evm"


class Node:
    """A running node: chain + JSON-RPC + HTTP. `start()` binds; `stop()` closes cleanly."""

    def __init__(
        self,
        config: NodeConfig,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        quiet: bool = False,
        out: Callable[[str], None] | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self._print_lock = threading.Lock()
        self._out = out or self._stdout
        self.quiet = quiet
        self.chain = NodeChain(config)
        self.rpc = Rpc(self.chain, client_version(), None if quiet else self.say)
        self.host = host
        self.port = port
        self.limits = limits or ServerLimits()
        self.server: RpcHTTPServer | None = None
        self.settlement: SettlementService | None = None
        if not quiet:
            self.chain.on_mined.append(self._log_block)

    @staticmethod
    def _stdout(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def say(self, line: str) -> None:
        with self._print_lock:
            self._out(line)

    def _log_block(self, block, mined: list[MinedTx]) -> None:
        for tx in mined:
            self.say(describe_mined(block.number, block.hash, tx))
        if not mined:
            self.say(f"  block {block.number} mined (empty)")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, before_serving: Callable[[], None] | None = None) -> None:
        """Listen, then serve; `before_serving` runs once the port is bound and before any
        request is answered (the banner: whoever sees the node answer has seen it)."""

        def bound(server) -> None:  # noqa: ANN001 - the server `serve` made
            self.port = server.server_address[1]
            if before_serving is not None:
                before_serving()

        warning = ensure_descriptors(self.limits.max_connections)
        if warning is not None:
            sys.stderr.write(warning + "\n")
        self.server = serve(self.rpc, self.host, self.port, bound, self.limits)
        self.chain.start_miner()
        if self.chain.config.settlement:
            self._start_settlement()

    def _start_settlement(self) -> None:
        """The full-node role talks to this node over its own JSON-RPC, like any client."""
        from web3 import HTTPProvider, Web3

        w3 = Web3(HTTPProvider(self.url, request_kwargs={"timeout": 120}))
        self.settlement = self.chain.inference.start_settlement(
            w3, batch_size=self.chain.config.settlement_batch_size
        )
        self.chain.on_mined.append(lambda *_: self.chain.inference.wake())

    def stop(self) -> None:
        if self.settlement is not None:
            self.chain.inference.stop_settlement(self.settlement)
            self.settlement = None
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        self.chain.close()


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MAX_BODY_BYTES",
    "DataDirError",
    "Node",
    "NodeChain",
    "NodeConfig",
    "Rpc",
    "ServerLimits",
    "client_version",
]
