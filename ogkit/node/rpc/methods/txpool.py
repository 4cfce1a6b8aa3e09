"""`txpool_*` (geth's shapes) and anvil's pool methods over the node's pool
(ogkit/node/chain/txpool.py): what waits, by sender and nonce, and dropping it.

geth's keys: senders as checksummed addresses, nonces as decimal strings; "pending" holds the
pending block's transactions and those waiting without a nonce gap, "queued" the rest.
"""

from __future__ import annotations

from typing import Any

from eth.abc import SignedTransactionAPI
from eth_utils import to_checksum_address

from ogkit.chain.hexjson import b, q
from ogkit.node.chain.txpool import fee_cap
from ogkit.node.rpc import params as p
from ogkit.node.rpc.formatting import format_transaction
from ogkit.node.rpc.methods.base import Handler, Methods


def inspect_line(tx: SignedTransactionAPI) -> str:
    """geth's summary: "<to>: <value> wei + <gas> gas × <price> wei" (fee cap for EIP-1559)."""
    to = to_checksum_address(tx.to) if tx.to else "contract creation"
    return f"{to}: {tx.value} wei + {tx.gas} gas × {fee_cap(tx)} wei"


class TxPoolMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "txpool_content": self.txpool_content,
            "txpool_status": self.txpool_status,
            "txpool_inspect": self.txpool_inspect,
            "anvil_dropTransaction": self.anvil_drop_transaction,
            "hardhat_dropTransaction": self.anvil_drop_transaction,
            "anvil_dropAllTransactions": self.anvil_drop_all_transactions,
            "anvil_removePoolTransactions": self.anvil_remove_pool_transactions,
            "txpool_contentFrom": self.txpool_content_from,
        }

    def _grouped(self, describe: Any) -> dict[str, dict[str, dict[str, Any]]]:
        node = self.node
        with node.lock:
            pending, queued = node.txpool.split()
            out: dict[str, dict[str, dict[str, Any]]] = {}
            for name, txs in (("pending", pending), ("queued", queued)):
                group: dict[str, dict[str, Any]] = {}
                for sender, tx in txs:
                    group.setdefault(to_checksum_address(sender), {})[str(tx.nonce)] = describe(
                        sender, tx
                    )
                out[name] = group
            return out

    @staticmethod
    def _as_json(sender: bytes, tx: SignedTransactionAPI) -> dict[str, Any]:
        return format_transaction(tx, sender, None, None, None)

    def txpool_content(self, params: Any) -> dict[str, Any]:
        p.Args(params, "txpool_content")
        return self._grouped(self._as_json)

    def txpool_content_from(self, params: Any) -> dict[str, Any]:
        """geth's: one sender's part of `txpool_content`, {"pending": {nonce: tx}, ...}."""
        a = p.Args(params, "txpool_contentFrom", 1, 1)
        sender = to_checksum_address(p.address(a[0]))
        content = self._grouped(self._as_json)
        return {name: group.get(sender, {}) for name, group in content.items()}

    def txpool_inspect(self, params: Any) -> dict[str, Any]:
        p.Args(params, "txpool_inspect")
        return self._grouped(lambda sender, tx: inspect_line(tx))

    def txpool_status(self, params: Any) -> dict[str, str]:
        p.Args(params, "txpool_status")
        with self.node.lock:
            pending, queued = self.node.txpool.split()
            return {"pending": q(len(pending)), "queued": q(len(queued))}

    def anvil_drop_transaction(self, params: Any) -> str | None:
        """anvil's: the hash if it was waiting (and is dropped now), else null."""
        a = p.Args(params, "anvil_dropTransaction", 1, 1)
        tx_hash = p.hash32(a[0], "transaction hash")
        with self.node.lock:
            return b(tx_hash) if self.node.txpool.drop(tx_hash) else None

    def anvil_remove_pool_transactions(self, params: Any) -> None:
        """anvil's: drop every waiting transaction of one sender."""
        a = p.Args(params, "anvil_removePoolTransactions", 1, 1)
        with self.node.lock:
            self.node.txpool.drop_sender(p.address(a[0]))
        return None

    def anvil_drop_all_transactions(self, params: Any) -> None:
        p.Args(params, "anvil_dropAllTransactions")
        with self.node.lock:
            self.node.txpool.drop_all()
        return None
