"""The inference-node role: run a request once, record it, replay it from the record."""

from ogkit.inference.book import RecordBook
from ogkit.inference.engine import InferenceEngine, default_engine
from ogkit.inference.mocks import MockError
from ogkit.inference.records import (
    MOCKED,
    IllegalTransition,
    InferenceRecord,
    SettlementState,
    SettlementTimeout,
)

__all__ = [
    "MOCKED",
    "IllegalTransition",
    "InferenceEngine",
    "InferenceRecord",
    "MockError",
    "RecordBook",
    "SettlementState",
    "SettlementTimeout",
    "default_engine",
]
