"""The inference-node role: run a request once, record it, replay it from the record."""

from ogkit.inference.engine import InferenceEngine, InferenceRecord, default_engine

__all__ = ["InferenceEngine", "InferenceRecord", "default_engine"]
