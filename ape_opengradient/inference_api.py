"""One testing API over both local providers: model runs, inference records, settlement
waits and mocked model outputs.

A user's test should not care whether the chain runs in-process (`opengradient:local:test`,
where the inference engine is a Python object) or in an `ogkit node` (`opengradient:local:node`,
reached over JSON-RPC). `provider.og` (or the `og` pytest fixture) is this API on either;
records come back as the same `InferenceInfo` with the same values on both.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from eth_utils import to_checksum_address

from ogkit.inference import MockError, SettlementTimeout, receipts
from ogkit.inference.engine import PENDING_STATES
from precompiles.addresses import OG_INFERENCE_ADDRESS
from precompiles.host import ModelNotFound
from precompiles.inference.models import MODEL_INFERENCE_EVENT_TOPIC
from precompiles.inference.types import ModelInferenceMode

if TYPE_CHECKING:
    from ape.api import ProviderAPI

    from ogkit.inference import InferenceEngine

WAIT_SLICE_S = 60.0
"""The node caps one `ogkit_waitForSettlement` at 300 s; longer waits ask again."""


@dataclass(frozen=True)
class InferenceInfo:
    """What the chain committed to for one inference in a mined transaction."""

    inference_id: str
    """0x-hex, as `ModelInferenceEvent.inferenceID` (without the 0x) names it."""
    model_id: str
    mode: ModelInferenceMode
    block_number: int
    transaction_hash: str
    model_hash: str
    input_hash: str
    output_hash: str
    settlement: str
    """"not required" (VANILLA), "pending"/"proving"/"proved", "settled", "failed: …", or
    "mocked" (a mocked output: never signed, proved or settled)."""
    settlement_tx: str | None = None
    mocked: bool = False
    """True when a test's mock answered instead of the model."""
    tee_signature: Mapping[str, Any] | None = None
    merkle_root: str | None = None
    merkle_proof: tuple[str, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.settlement not in PENDING_STATES

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> InferenceInfo:
        """From the node's JSON record (`ogkit_getInferenceRecord`)."""
        return cls(
            inference_id=record["inferenceId"],
            model_id=record["modelId"],
            mode=ModelInferenceMode(record["mode"]),
            block_number=record["blockNumber"],
            transaction_hash=record["transactionHash"],
            model_hash=record.get("modelHash", ""),
            input_hash=record.get("inputHash", ""),
            output_hash=record.get("outputHash", ""),
            settlement=record.get("settlement", ""),
            settlement_tx=record.get("settlementTx"),
            mocked=bool(record.get("mocked", False)),
            tee_signature=record.get("teeSignature"),
            merkle_root=record.get("merkleRoot"),
            merkle_proof=tuple(record.get("merkleProof", ())),
        )


def _bare_id(inference_id: str | bytes) -> str:
    """An id as the records print it (bare hex), from 0x-hex, bare hex or the 32 bytes."""
    if isinstance(inference_id, bytes | bytearray):
        return bytes(inference_id).hex()
    return str(inference_id).lower().removeprefix("0x")


class InferenceAPI(ABC):
    """The same calls on the in-process chain and on the node."""

    @property
    @abstractmethod
    def model_runs(self) -> int:
        """How many times a model really ran on this chain (replays and mocks not counted)."""

    @abstractmethod
    def get_inference_record(self, inference_id: str | bytes) -> InferenceInfo | None:
        """The record of a mined inference (0x-hex or bare id); None if no mined
        transaction made it (an `eth_call`, a reverted or rewound one)."""

    @abstractmethod
    def inference_records(self, block: int | None = None) -> list[InferenceInfo]:
        """The records of a block's inferences in order (the head block by default)."""

    @abstractmethod
    def _wait(self, inference_id: str | bytes, timeout: float) -> None:
        """Return once the record is final or `timeout` has passed."""

    def wait_for_settlement(
        self, inference_id: str | bytes, timeout: float = 60.0
    ) -> InferenceInfo:
        """Block until the inference's settlement is final (settled, failed, not required,
        mocked). Raises `KeyError` if no mined transaction made it and `SettlementTimeout`
        if it is still pending after `timeout` seconds."""
        self._wait(inference_id, timeout)
        record = self.get_inference_record(inference_id)
        if record is None:
            raise KeyError(f"no inference record {inference_id}")
        if not record.is_final:
            raise SettlementTimeout(
                f"inference {record.inference_id} still {record.settlement!r} after {timeout} s"
            )
        return record

    @abstractmethod
    def mock_model_output(
        self, model_id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> str:
        """Like Foundry's `vm.mockCall`: whenever `model_id` gets exactly `inputs` (by tensor
        name; numbers, strings, nested lists), 0xF4 answers `outputs` without running the
        model. The record says `mocked=True`, settlement "mocked". Returns a key for
        `remove_model_mock`. Raises `ModelNotFound` or `MockError` (names, shapes, dtypes)."""

    @contextmanager
    def mocked(
        self, model_id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> Iterator[str]:
        """`mock_model_output` for a `with` block (a module-scoped fixture, say): the mock
        goes when the block ends."""
        key = self.mock_model_output(model_id, inputs, outputs)
        try:
            yield key
        finally:
            self.remove_model_mock(key)

    @abstractmethod
    def remove_model_mock(self, key: str) -> bool:
        """Undo one mock (an earlier mock of the same input answers again)."""

    @abstractmethod
    def clear_model_mocks(self) -> int:
        """Remove every mock; returns how many (model, input) pairs were mocked."""

    def precompile_calls(self, txn_hash: str) -> list[dict[str, Any]]:
        """The 0xF4 calls the transaction made, as `ogkit node` lists them in its receipt
        (`ogkit.inference.receipts`); `receipt.inferences` reads this."""
        raise NotImplementedError


class LocalInferenceAPI(InferenceAPI):
    """The in-process chain: reads the engine and the chain's own logs."""

    def __init__(self, provider: ProviderAPI, engine: InferenceEngine) -> None:
        self.provider = provider
        self.engine = engine

    @property
    def model_runs(self) -> int:
        return self.engine.model_runs

    def _block_records(self, number: int) -> list[dict[str, Any]]:
        """Records as the node stores them: one per `ModelInferenceEvent` in the block."""
        from ogkit.node.chain import records as record_format  # the node's own record format

        logs = self.provider.web3.eth.get_logs(
            {
                "fromBlock": number,
                "toBlock": number,
                "address": to_checksum_address(OG_INFERENCE_ADDRESS),
                "topics": ["0x" + MODEL_INFERENCE_EVENT_TOPIC.to_bytes(32, "big").hex()],
            }
        )
        out = []
        for log in logs:
            try:
                event = record_format.decode_inference_event(bytes(log["data"]))
            except (ValueError, IndexError):
                continue
            engine_record = self.engine.records.get(_bare_id(event.inference_id))
            record = record_format.record_json(engine_record, event, bytes(log["transactionHash"]))
            out.append({**record, "blockNumber": number})
        return out

    def get_inference_record(self, inference_id: str | bytes) -> InferenceInfo | None:
        engine_record = self.engine.records.get(_bare_id(inference_id))
        if (
            engine_record is None
            or engine_record.block_number > self.provider.chain_manager.blocks.height
        ):
            return None
        for record in self._block_records(engine_record.block_number):
            if _bare_id(record["inferenceId"]) == _bare_id(inference_id):
                return InferenceInfo.from_json(record)
        return None

    def inference_records(self, block: int | None = None) -> list[InferenceInfo]:
        number = self.provider.chain_manager.blocks.height if block is None else block
        return [InferenceInfo.from_json(r) for r in self._block_records(number)]

    def _wait(self, inference_id: str | bytes, timeout: float) -> None:
        try:
            self.engine.wait_for_settlement(inference_id, timeout)
        except (KeyError, SettlementTimeout):
            pass  # wait_for_settlement reports it with the record in hand

    def mock_model_output(
        self, model_id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> str:
        return "0x" + self.engine.mock_output(model_id, inputs, outputs)

    def remove_model_mock(self, key: str) -> bool:
        return self.engine.unmock(key)

    def precompile_calls(self, txn_hash: str) -> list[dict[str, Any]]:
        receipt = self.provider.web3.eth.get_transaction_receipt(txn_hash)
        logs = [
            (
                bytes.fromhex(log["address"][2:]),
                [int.from_bytes(t, "big") for t in log["topics"]],
                bytes(log["data"]),
            )
            for log in receipt["logs"]
        ]

        def lookup(inference_id: str) -> dict[str, Any] | None:
            record = self.engine.book.get(inference_id)
            return None if record is None else receipts.record_fields(record)

        return receipts.precompile_calls(
            logs, lookup, receipt["logs"][0]["logIndex"] if logs else 0
        )

    def clear_model_mocks(self) -> int:
        return self.engine.clear_mocks()


def _jsonable(value: Any) -> Any:
    """numpy arrays and scalars, tuples and Decimals as JSON values (numbers keep their
    shortest decimal form, so both providers convert them alike)."""
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()] if value.ndim else _jsonable(value.item())
    if isinstance(value, np.generic):
        return str(value) if isinstance(value, np.floating) else value.item()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class NodeInferenceAPI(InferenceAPI):
    """An `ogkit node`: the same calls as its `ogkit_*` JSON-RPC methods."""

    def __init__(self, provider: ProviderAPI) -> None:
        self.provider = provider

    def _request(self, method: str, *params: Any) -> Any:
        return self.provider.make_request(method, list(params))

    @property
    def model_runs(self) -> int:
        return int(self._request("ogkit_getModelRuns"))

    def get_inference_record(self, inference_id: str | bytes) -> InferenceInfo | None:
        record = self._request("ogkit_getInferenceRecord", "0x" + _bare_id(inference_id))
        return None if record is None else InferenceInfo.from_json(record)

    def inference_records(self, block: int | None = None) -> list[InferenceInfo]:
        ref = "latest" if block is None else hex(block)
        return [
            InferenceInfo.from_json(r) for r in self._request("ogkit_getBlockInferenceRecords", ref)
        ]

    def _wait(self, inference_id: str | bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            record = self._request(
                "ogkit_waitForSettlement", "0x" + _bare_id(inference_id), min(left, WAIT_SLICE_S)
            )
            if left <= WAIT_SLICE_S or (
                record is not None and record.get("settlement") not in PENDING_STATES
            ):
                return

    def mock_model_output(
        self, model_id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
    ) -> str:
        params = [model_id, _jsonable(dict(inputs)), _jsonable(dict(outputs))]
        json.dumps(params, allow_nan=False)  # fail here, not as a parse error at the node
        from ape.exceptions import ProviderError

        try:
            return self._request("ogkit_mockModelOutput", *params)
        except ProviderError as exc:
            message = str(exc)
            if message.startswith("model not found: "):
                raise ModelNotFound(model_id) from None
            raise MockError(message) from None

    def remove_model_mock(self, key: str) -> bool:
        return bool(self._request("ogkit_removeModelMock", key))

    def precompile_calls(self, txn_hash: str) -> list[dict[str, Any]]:
        receipt = self._request("eth_getTransactionReceipt", txn_hash)
        return [] if receipt is None else list(receipt.get("inferences") or [])

    def clear_model_mocks(self) -> int:
        return int(self._request("ogkit_clearModelMocks"))
