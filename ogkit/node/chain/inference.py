"""The AI side of the node's chain: inference records stored with the chain, the price
feed's signed records, model mocks and inference statistics. Engine calls run under the
lock, so no block in the making sees half of a change."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ogkit.inference import receipts
from ogkit.node.chain import records
from ogkit.pricefeed import record_json
from precompiles.addresses import OG_INFERENCE_ADDRESS

if TYPE_CHECKING:
    from ogkit.node.chain.blocks import Blocks


class InferenceDesk:
    """Over `blocks` (its database and lock), the inference `engine`, the `price_feed` and
    `trace_stats` (what traces had to run again)."""

    def __init__(
        self,
        blocks: Blocks,
        engine: Any,
        price_feed: Any,
        trace_stats: Callable[[], dict[str, int]],
    ) -> None:
        self.blocks = blocks
        self.engine = engine
        self.price_feed = price_feed
        self.trace_stats = trace_stats

    def record(self, inference_id: str) -> dict[str, Any] | None:
        """The stored record of a model call, or the record book's of an LLM call (0xF4's
        LLM records live in memory only), the same JSON either way."""
        with self.blocks.lock:
            head = self.blocks.head.block_number
            stored = records.read_record(self.blocks.db, inference_id, head)
            if stored is not None:
                return stored
            kept = self.engine.book.get(inference_id)
            if kept is None or not 1 <= kept.block_number <= head:
                return None  # unknown, a gateway's (no block), or of a block not yet mined
            return self._mined(kept, kept.block_number)

    def _mined(self, kept: Any, number: int) -> dict[str, Any] | None:
        """`kept` as stored records read, if a transaction of block `number` emitted it (an
        eth_call's record never is): one block's receipts read, never a scan."""
        header = self.blocks.chain.get_canonical_block_header_by_number(number)
        block = self.blocks.block_by_header(header)
        wanted = str(kept.inference_id).lower().removeprefix("0x")
        for tx, receipt in zip(block.transactions, self.blocks.receipts(block), strict=False):
            for log in receipt.logs:
                if log.address != OG_INFERENCE_ADDRESS or not log.topics:
                    continue
                if log.topics[0] not in receipts.CALLS:
                    continue
                try:
                    event = receipts.decode_inference_event(log.data)
                except (ValueError, IndexError):
                    continue
                if event.inference_id.lower().removeprefix("0x") == wanted:
                    return {**records.record_json(kept, event, tx.hash), "blockNumber": number}
        return None

    def precompile_calls(self, logs: Any, first_log_index: int) -> list[dict[str, Any]]:
        """The 0xF4 calls a mined transaction made, from its receipt's py-evm logs: the
        stored record of a model call, the record book's for an LLM call (kept in memory)."""

        def lookup(inference_id: str) -> dict[str, Any] | None:
            stored = records.read_record(
                self.blocks.db, inference_id, self.blocks.head.block_number
            )
            if stored is not None:
                return stored
            kept = self.engine.book.get(inference_id)
            return None if kept is None else receipts.record_fields(kept)

        entries = ((log.address, log.topics, log.data) for log in logs)
        with self.blocks.lock:
            return receipts.precompile_calls(entries, lookup, first_log_index)

    def store_settlement(self, engine_record: Any) -> None:
        with self.blocks.lock:
            records.update_settlement(self.blocks.db, engine_record)

    def block_records(self, number: int) -> list[dict[str, Any]]:
        with self.blocks.lock:
            if number > self.blocks.head.block_number:
                return []
            return records.read_block_records(self.blocks.db, number)

    def price_feed_records(self, number: int) -> list[dict[str, Any]]:
        """What the price data node served (and signed) in block `number`; kept in memory."""
        return [record_json(r) for r in self.price_feed.records(number)]

    def mock(self, model_id: str, inputs: Any, outputs: Any) -> str:
        """A mocked answer for (model, exact input)."""
        with self.blocks.lock:
            return self.engine.mock_output(model_id, inputs, outputs)

    def unmock(self, key: str) -> bool:
        with self.blocks.lock:
            return self.engine.unmock(key)

    def clear_mocks(self) -> int:
        with self.blocks.lock:
            return self.engine.clear_mocks()

    def stats(self) -> dict[str, int]:
        """Model runs and result-cache use; what traces had to run again."""
        with self.blocks.lock:
            return {
                "modelRuns": self.engine.model_runs,
                "cachedResults": len(self.engine.cache),
                **self.trace_stats(),
            }
