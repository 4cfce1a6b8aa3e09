"""The project's examples and demo: example models, the tiny LLM, and the demo contracts' logic.

Kept out of the library packages so that `ogkit`, `ape_opengradient` and `precompiles` hold
only what a user's project runs on. This package sits on top of all three and may import
them; they never import it at module level (the few commands that need examples, such as
`ogkit models build-examples`, import it inside the command).

- `og_examples.models`: four small, deterministic example ONNX models and their sample inputs
- `og_examples.llm`: the tiny example LLM (tokenizer + n-gram ONNX graph) and its corpus
- `og_examples.install`: put all of them into a model store
- `og_examples.demo`: deploy and exercise the example contracts (`ape run deploy`,
  `ape run exercise`, `make demo`); imports Ape
"""
