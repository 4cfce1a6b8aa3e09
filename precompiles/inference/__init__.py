"""OGInference, the precompile at 0x…F4: ONNX model inference and LLM completion / chat.

`precompile` is the entry point and dispatches on the selector to `models`
(`runModelInference`) or `llm` (`runLLMCompletion`, `runLLMChat`); each has its `*_codec`
and `*types`. Nothing is imported here, so `host` can use the types without a cycle.
"""
