"""The inference backend a re-execution (a trace) runs 0xF4 and 0xF5 through.

A trace re-executes a transaction on a throwaway state. Its model and LLM results come from
the engines' result cache, which the original execution filled, and nothing is recorded (a
trace changes nothing). Only a result the cache no longer holds (evicted, or the node
restarted) makes the model run again: `model_runs` counts those, `cache_hits` the others.
The assembly binds it (`assembly.replay_services`).
"""

from __future__ import annotations

from typing import Any


class ReplayBackend:
    """The ModelBackend and LLMBackend methods over the real engines, recording nothing."""

    def __init__(self, engine: Any, llm_engine: Any = None) -> None:
        self.engine = engine
        self.llm_engine = llm_engine
        self.cache_hits = 0
        self.model_runs = 0

    def _count(self, runs_before: int, runs_after: int) -> None:
        if runs_after > runs_before:
            self.model_runs += 1
        else:
            self.cache_hits += 1

    def resolve(self, model_id: str) -> Any:
        return self.engine.resolve(model_id)

    def infer(self, model: Any, mode: int, inputs: Any, inference_id: str, context: Any) -> Any:
        runs = self.engine.model_runs
        outputs = self.engine.infer(model, mode, inputs, inference_id, context)
        self._count(runs, self.engine.model_runs)
        return outputs

    def record(self, *args: Any, **kwargs: Any) -> None:
        pass

    def resolve_llm(self, model_id: str) -> Any:
        return self.llm_engine.resolve_llm(model_id)

    def generate(self, model: Any, request: Any, inference_id: str, context: Any) -> Any:
        runs = self.llm_engine.model_runs
        result = self.llm_engine.generate(model, request, inference_id, context)
        self._count(runs, self.llm_engine.model_runs)
        return result

    def record_llm(self, *args: Any, **kwargs: Any) -> None:
        pass
