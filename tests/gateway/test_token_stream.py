"""`OnnxCausalLM.stream`: the tiny LM's reply piece by piece, each piece a prefix of the final
text, a stop sequence never shown even in part, a wall-clock deadline that ends it with
"length", and `close()` that stops it between tokens."""

from __future__ import annotations

import time

import pytest

from ogkit.llm.engine import LLMEngine


@pytest.fixture(scope="module")
def lm(model_store):
    engine = LLMEngine(model_store)
    spec = engine.resolve_llm("tiny-llm")
    return engine._by_hash[spec.model_hash][1]


def test_pieces_add_up_to_generate(lm):
    stream = lm.stream("Once upon a time", 60)
    pieces = list(stream)
    whole = lm.generate("Once upon a time", 60)
    assert "".join(pieces) == whole.text == stream.result.text
    assert stream.result == whole and len(pieces) > 10


@pytest.mark.parametrize("stop", [" lazy", " lazy dog", " l"])
def test_a_stop_sequence_is_never_streamed(lm, stop):
    stream = lm.stream("The quick brown fox", 40, (stop,))
    pieces = list(stream)
    assert "".join(pieces) == " jumps over the" == stream.result.text
    assert stream.result.finish_reason == "stop"  # joined pieces: no " l" of " lazy" shown


def test_the_deadline_ends_it_as_length(lm):
    stream = lm.stream("Once upon a time", 60, deadline=time.monotonic())
    assert list(stream) == []
    assert (stream.result.text, stream.result.finish_reason) == ("", "length")
    assert stream.result.completion_tokens == 0


def test_close_stops_between_tokens(lm):
    stream = lm.stream("Once upon a time", 60)
    first = next(stream)
    stream.close()
    assert first == " th"
    assert list(stream) == [] and stream.result is None
