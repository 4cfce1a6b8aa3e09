"""`ogkit_*`, the AI chain's additions: inference records, settlement, model mocks, the
PIPE switch and the price feed's signed records."""

from __future__ import annotations

from typing import Any

from ogkit.inference import MockError
from ogkit.inference.records import PENDING_STATES
from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import InvalidParams, ServerError
from ogkit.node.rpc.methods.base import Handler, Methods
from precompiles.host import ModelExecutionError, ModelNotFound


class OgkitMethods(Methods):
    def table(self) -> dict[str, Handler]:
        return {
            "ogkit_getInferenceRecord": self.ogkit_get_inference_record,
            "ogkit_getBlockInferenceRecords": self.ogkit_get_block_inference_records,
            "ogkit_inferenceStats": self.ogkit_inference_stats,
            "ogkit_getModelRuns": self.ogkit_get_model_runs,
            "ogkit_mockModelOutput": self.ogkit_mock_model_output,
            "ogkit_removeModelMock": self.ogkit_remove_model_mock,
            "ogkit_clearModelMocks": self.ogkit_clear_model_mocks,
            "ogkit_waitForSettlement": self.ogkit_wait_for_settlement,
            "ogkit_setPipe": self.ogkit_set_pipe,
            "ogkit_pipe": self.ogkit_pipe,
            "ogkit_getPriceFeedRecords": self.ogkit_get_price_feed_records,
        }

    def ogkit_get_inference_record(self, params: Any) -> dict[str, Any] | None:
        a = p.Args(params, "ogkit_getInferenceRecord", 1, 1)
        if not isinstance(a[0], str) or len(a[0]) > 80:
            raise InvalidParams("inference id: expected a hex string")
        return self.node.inference_record(a[0])

    def ogkit_get_block_inference_records(self, params: Any) -> list[dict[str, Any]]:
        a = p.Args(params, "ogkit_getBlockInferenceRecords", 1, 1)
        ref = p.block_ref(a[0], allow_hash=False)
        header = self.node.header_for(ref)
        return [] if header is None else self.node.block_inference_records(header.block_number)

    def ogkit_wait_for_settlement(self, params: Any) -> dict[str, Any] | None:
        """Block until the inference's settlement is final (at most `timeout` seconds, 60 by
        default, capped at 300), then return its record; a record still pending is returned
        as it is, so the caller sees why, with `"timedOut": true`, so a caller that reads
        only the fields it knows cannot take it for the final answer."""
        a = p.Args(params, "ogkit_waitForSettlement", 1, 2)
        if not isinstance(a[0], str) or len(a[0]) > 80:
            raise InvalidParams("inference id: expected a hex string")
        timeout = a[1] if len(a) > 1 and a[1] is not None else 60
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0:
            raise InvalidParams("timeout: expected a number of seconds")
        try:
            self.node.engine.wait_for_settlement(a[0], min(float(timeout), 300.0))
        except (KeyError, TimeoutError):
            pass
        record = self.node.inference_record(a[0])
        if record is not None and record.get("settlement") in PENDING_STATES:
            record["timedOut"] = True
        return record

    def ogkit_set_pipe(self, params: Any) -> bool:
        """Switch two-phase execution (PIPE) emulation on or off; returns the new setting."""
        a = p.Args(params, "ogkit_setPipe", 1, 1)
        if not isinstance(a[0], bool):
            raise InvalidParams("expected true or false")
        self.node.pipe = a[0]
        return self.node.pipe

    def ogkit_pipe(self, params: Any) -> bool:
        p.Args(params, "ogkit_pipe")
        return self.node.pipe

    def ogkit_get_price_feed_records(self, params: Any) -> list[dict[str, Any]]:
        """Signed records of the candles 0xF5 served in a block (eth_call's pending block too)."""
        a = p.Args(params, "ogkit_getPriceFeedRecords", 1, 1)
        return self.node.price_feed_records(p.quantity(a[0], "block number"))

    def ogkit_get_model_runs(self, params: Any) -> int:
        """How many times a model really ran (replays and mocked answers not counted)."""
        p.Args(params, "ogkit_getModelRuns")
        return self.node.engine.model_runs

    def ogkit_mock_model_output(self, params: Any) -> str:
        """[modelId, inputs, outputs]: answer `outputs` whenever the model gets exactly
        `inputs` ({name: number, string or nested array}), without running it; the record
        says `mocked: true`. Returns the mock's key for `ogkit_removeModelMock`."""
        a = p.Args(params, "ogkit_mockModelOutput", 3, 3)
        model_id, inputs, outputs = a[0], a[1], a[2]
        if not isinstance(model_id, str) or not 0 < len(model_id) <= 256:
            raise InvalidParams("model id: expected a non-empty string")
        for name, value in (("inputs", inputs), ("outputs", outputs)):
            if not isinstance(value, dict):
                raise InvalidParams(f"{name}: expected an object of tensor name to values")
        try:
            return "0x" + self.node.mock_model_output(model_id, inputs, outputs)
        except ModelNotFound:
            raise InvalidParams(f"model not found: {model_id}") from None
        except MockError as exc:
            raise InvalidParams(str(exc)) from None
        except ModelExecutionError as exc:
            raise ServerError(f"cannot load model {model_id}: {exc}") from None

    def ogkit_remove_model_mock(self, params: Any) -> bool:
        """Undo one `ogkit_mockModelOutput` by its key; false if no such mock is left."""
        a = p.Args(params, "ogkit_removeModelMock", 1, 1)
        if not isinstance(a[0], str) or len(a[0]) > 80:
            raise InvalidParams("mock key: expected a hex string")
        return self.node.remove_model_mock(a[0])

    def ogkit_clear_model_mocks(self, params: Any) -> int:
        """Remove every mock; returns how many (model, input) pairs were mocked."""
        p.Args(params, "ogkit_clearModelMocks")
        return self.node.clear_model_mocks()

    def ogkit_inference_stats(self, params: Any) -> dict[str, int]:
        """Model runs and cache use; `traceModelRuns` counts models a trace had to re-run."""
        p.Args(params, "ogkit_inferenceStats")
        return self.node.inference_stats()
