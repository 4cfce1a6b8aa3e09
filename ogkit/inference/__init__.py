"""The inference-node role: run a request once, record it, replay it from the record."""

from ogkit.inference.engine import (
    MOCKED,
    InferenceEngine,
    InferenceRecord,
    SettlementTimeout,
    default_engine,
)
from ogkit.inference.mocks import MockError

__all__ = [
    "MOCKED",
    "InferenceEngine",
    "InferenceRecord",
    "MockError",
    "SettlementTimeout",
    "default_engine",
]
