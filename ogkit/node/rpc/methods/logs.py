"""`eth_getLogs` and the polling filters (`eth_newFilter`, `eth_getFilterChanges`, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ogkit.chain.hexjson import b, q
from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import ServerError
from ogkit.node.rpc.filters import Filters
from ogkit.node.rpc.formatting import format_log
from ogkit.node.rpc.methods.base import Handler, Methods

if TYPE_CHECKING:
    from ogkit.node.chain import NodeChain


class LogMethods(Methods):
    def __init__(self, node: NodeChain, filters: Filters) -> None:
        super().__init__(node)
        self.filters = filters

    def table(self) -> dict[str, Handler]:
        return {
            "eth_getLogs": self.eth_get_logs,
            "eth_newFilter": self.eth_new_filter,
            "eth_newBlockFilter": self.eth_new_block_filter,
            "eth_newPendingTransactionFilter": self.eth_new_pending_tx_filter,
            "eth_getFilterChanges": self.eth_get_filter_changes,
            "eth_getFilterLogs": self.eth_get_filter_logs,
            "eth_uninstallFilter": self.eth_uninstall_filter,
        }

    @staticmethod
    def _logs_json(found: list[tuple]) -> list[dict[str, Any]]:
        return [format_log(*entry) for entry in found]

    def eth_get_logs(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "eth_getLogs", 0, 1)
        return self._logs_json(self.node.logs(p.log_filter(a[0])))

    def eth_new_filter(self, params: Any) -> str:
        a = p.Args(params, "eth_newFilter", 0, 1)
        query = p.log_filter(a[0])
        return q(self.filters.add("log", self.node.block_number(), query))

    def eth_new_block_filter(self, params: Any) -> str:
        p.Args(params, "eth_newBlockFilter")
        return q(self.filters.add("block", self.node.block_number()))

    def eth_new_pending_tx_filter(self, params: Any) -> str:
        p.Args(params, "eth_newPendingTransactionFilter", 0, 1)
        return q(self.filters.add("pendingTransaction", self.node.block_number()))

    def eth_get_filter_changes(self, params: Any) -> list[Any]:
        a = p.Args(params, "eth_getFilterChanges", 1, 1)
        found = self.filters.get(p.quantity(a[0], "filter id"))
        with self.node.lock:
            head = self.node.block_number()
            since = min(found.last_block, head)
            if found.kind == "block":
                result: list[Any] = [b(h) for h in self.node.block_hashes_after(since)]
            elif found.kind == "pendingTransaction":
                result = [b(h) for h in self.node.tx_hashes_after(since)]
            else:
                query = found.query or p.LogFilter()
                if query.block_hash is not None:
                    result = [] if found.done else self._logs_json(self.node.logs(query))
                    found.done = True
                    return result
                result = self._logs_json(self.node.logs(query, from_number=since + 1))
            found.last_block = head
            return result

    def eth_get_filter_logs(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "eth_getFilterLogs", 1, 1)
        found = self.filters.get(p.quantity(a[0], "filter id"))
        if found.kind != "log":
            raise ServerError("filter is not a log filter")
        return self._logs_json(self.node.logs(found.query or p.LogFilter()))

    def eth_uninstall_filter(self, params: Any) -> bool:
        a = p.Args(params, "eth_uninstallFilter", 1, 1)
        return self.filters.remove(p.quantity(a[0], "filter id"))
