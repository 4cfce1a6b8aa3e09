"""LLMs behind 0xF4's `runLLMCompletion` / `runLLMChat`: local ONNX causal LMs from the model
store (og_examples builds a tiny one) and an OpenAI-compatible HTTP endpoint, behind one
engine that shares the inference node's cache, enclave key and record book."""

from ogkit.llm.engine import LLMEngine, LLMRecord, default_llm_engine

__all__ = ["LLMEngine", "LLMRecord", "default_llm_engine"]
