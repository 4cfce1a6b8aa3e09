"""The inference-node role: run a request once, record it, replay it from the record."""

from ogkit.inference.engine import (
    InferenceEngine,
    InferenceRecord,
    SettlementTimeout,
    default_engine,
)

__all__ = ["InferenceEngine", "InferenceRecord", "SettlementTimeout", "default_engine"]
