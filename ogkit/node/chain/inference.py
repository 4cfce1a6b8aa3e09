"""The AI side of the node's chain: inference records stored with the chain, the price
feed's signed records, model mocks and inference statistics. Engine calls run under the
lock, so no block in the making sees half of a change."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ogkit.inference import receipts
from ogkit.node.chain import records
from ogkit.pricefeed import record_json

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
        with self.blocks.lock:
            return records.read_record(self.blocks.db, inference_id, self.blocks.head.block_number)

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
