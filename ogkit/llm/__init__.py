"""LLMs behind 0xF4's `runLLMCompletion` / `runLLMChat`: a local ONNX causal LM (with the
project's tiny example model) and an OpenAI-compatible HTTP endpoint, behind one engine."""

from ogkit.llm.engine import LLMEngine, LLMRecord, default_llm_engine

__all__ = ["LLMEngine", "LLMRecord", "default_llm_engine"]
