"""The node's chain side: the AI fork on py-evm, its storage and dev controls, in one room.

`NodeChain` (node_chain.py) is the facade the JSON-RPC side talks to; its docstring lists
the parts.
"""

from ogkit.node.chain.config import DataDirError, NodeConfig
from ogkit.node.chain.mining import MinedTx
from ogkit.node.chain.node_chain import NodeChain

__all__ = ["DataDirError", "MinedTx", "NodeChain", "NodeConfig"]
