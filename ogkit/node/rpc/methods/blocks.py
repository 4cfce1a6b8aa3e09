"""`eth_*` for blocks, transactions and receipts, formatted as geth does."""

from __future__ import annotations

from typing import Any

from ogkit.chain.hexjson import q
from ogkit.node.rpc import params as p
from ogkit.node.rpc.formatting import (
    first_log_index,
    format_block,
    format_receipt,
    format_transaction,
)
from ogkit.node.rpc.methods.base import Handler, Methods


class BlockMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "eth_getTransactionByHash": self.eth_get_transaction_by_hash,
            "eth_getTransactionReceipt": self.eth_get_transaction_receipt,
            "eth_getBlockByNumber": self.eth_get_block_by_number,
            "eth_getBlockByHash": self.eth_get_block_by_hash,
            "eth_getBlockReceipts": self.eth_get_block_receipts,
            "eth_getBlockTransactionCountByNumber": self.eth_get_block_tx_count_by_number,
            "eth_getBlockTransactionCountByHash": self.eth_get_block_tx_count_by_hash,
            "eth_getTransactionByBlockNumberAndIndex": self.eth_get_tx_by_number_and_index,
            "eth_getTransactionByBlockHashAndIndex": self.eth_get_tx_by_hash_and_index,
            "eth_getUncleCountByBlockNumber": lambda params: "0x0",
            "eth_getUncleCountByBlockHash": lambda params: "0x0",
        }

    def _tx_json(self, found: tuple) -> dict[str, Any]:
        tx, block, index = found
        base_fee = getattr(block.header, "base_fee_per_gas", None) if block else None
        return format_transaction(tx, self.node.sender_of(tx), block, index, base_fee)

    def eth_get_transaction_by_hash(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionByHash", 1, 1)
        found = self.node.find_transaction(p.hash32(a[0], "transaction hash"))
        return None if found is None else self._tx_json(found)

    def eth_get_transaction_receipt(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionReceipt", 1, 1)
        tx_hash = p.hash32(a[0], "transaction hash")
        with self.node.lock:
            found = self.node.find_transaction(tx_hash)
            if found is None or found[1] is None:
                return None
            tx, block, index = found
            receipts = self.node.receipts(block)
            return self._receipt_json(block, receipts, tx, index)

    def _receipt_json(self, block: Any, receipts: Any, tx: Any, index: int) -> dict[str, Any]:
        calls = self.node.desk.precompile_calls(
            receipts[index].logs, first_log_index(receipts, index)
        )
        return format_receipt(block, receipts, tx, index, self.node.sender_of(tx), calls)

    def _block_json(self, ref: p.BlockRef, full: Any) -> dict[str, Any] | None:
        full = p.boolean(full, "full transactions") if full is not None else False
        with self.node.lock:
            found = self.node.block(ref)
            if found is None:
                return None
            block, pending = found
            return format_block(block, full, self.node.sender_of, pending)

    def eth_get_block_by_number(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getBlockByNumber", 1, 2)
        return self._block_json(p.block_ref(a[0], allow_hash=False), a[1])

    def eth_get_block_by_hash(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getBlockByHash", 1, 2)
        return self._block_json(p.BlockRef(hash=p.hash32(a[0], "block hash")), a[1])

    def eth_get_block_receipts(self, params: Any) -> list[dict[str, Any]] | None:
        a = p.Args(params, "eth_getBlockReceipts", 1, 1)
        with self.node.lock:
            found = self.node.block(p.block_ref(a[0]))
            if found is None or found[1]:
                return None
            block = found[0]
            receipts = self.node.receipts(block)
            return [
                self._receipt_json(block, receipts, tx, i)
                for i, tx in enumerate(block.transactions)
            ]

    def _tx_count(self, ref: p.BlockRef) -> str | None:
        found = self.node.block(ref)
        return None if found is None else q(len(found[0].transactions))

    def eth_get_block_tx_count_by_number(self, params: Any) -> str | None:
        a = p.Args(params, "eth_getBlockTransactionCountByNumber", 1, 1)
        return self._tx_count(p.block_ref(a[0], allow_hash=False))

    def eth_get_block_tx_count_by_hash(self, params: Any) -> str | None:
        a = p.Args(params, "eth_getBlockTransactionCountByHash", 1, 1)
        return self._tx_count(p.BlockRef(hash=p.hash32(a[0], "block hash")))

    def _tx_at(self, ref: p.BlockRef, index: int) -> dict[str, Any] | None:
        with self.node.lock:
            found = self.node.block(ref)
            if found is None or index >= len(found[0].transactions):
                return None
            block, pending = found
            return self._tx_json((block.transactions[index], None if pending else block, index))

    def eth_get_tx_by_number_and_index(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionByBlockNumberAndIndex", 2, 2)
        return self._tx_at(p.block_ref(a[0], allow_hash=False), p.quantity(a[1], "index"))

    def eth_get_tx_by_hash_and_index(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "eth_getTransactionByBlockHashAndIndex", 2, 2)
        return self._tx_at(p.BlockRef(hash=p.hash32(a[0], "block hash")), p.quantity(a[1]))
