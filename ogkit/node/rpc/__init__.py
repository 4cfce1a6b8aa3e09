"""The node's JSON-RPC side: HTTP transport (server.py) and its connection cap and idle
deadlines (connections.py), dispatch and batches (dispatch.py),
one module per namespace's methods (methods/), params, formatting, filters and errors.

It talks to the chain only through the `NodeChain` facade (imported for types only); the
chain side borrows its vocabulary: the errors it raises, the parsed params' value types
(`BlockRef`, `TxParams`, `LogFilter`, `TraceOptions`) and hex formatting for trace frames."""

from ogkit.node.rpc.dispatch import Rpc
from ogkit.node.rpc.formatting import describe_mined

__all__ = ["Rpc", "describe_mined"]
