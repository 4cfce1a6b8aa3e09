"""Example model ``sentiment``: a list of words -> the sum of their weights in a fixed,
hand-written lexicon (case-insensitive); opset 19, because ``Equal`` on strings needs it."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from og_examples.models.common import STRING_IR_VERSION, STRING_OPSET, const, serialise

NAME = "sentiment"
DOC = (
    "Lexicon sentiment of a list of words. Input text string [n] (n >= 1, one word per "
    "element, case-insensitive). Output score float32 [1]: the sum of the hand-written "
    "lexicon weights of the words (unknown words count 0; no negation handling)."
)

SENTIMENT_LEXICON: dict[str, float] = {
    # Hand-written, not fitted. Weights are multiples of 0.25 so float32 sums are exact.
    "good": 1.5, "great": 2.5, "excellent": 3.0, "best": 2.5, "love": 2.25, "happy": 2.0,
    "bullish": 2.0, "moon": 2.0, "rally": 1.75, "gain": 1.5, "gains": 1.5, "profit": 1.5,
    "win": 1.5, "breakout": 1.5, "strong": 1.25, "solid": 1.25, "growth": 1.25, "safe": 1.0,
    "pump": 0.75, "up": 0.5,
    "bad": -1.5, "terrible": -3.0, "scam": -3.0, "awful": -2.75, "worst": -2.75, "rug": -2.75,
    "crash": -2.5, "hack": -2.5, "rekt": -2.5, "panic": -2.25, "bearish": -2.0, "fail": -2.0,
    "dump": -1.75, "fear": -1.75, "loss": -1.5, "losses": -1.5, "weak": -1.25, "risky": -1.0,
    "sell": -0.75, "down": -0.5,
}  # fmt: skip


def build() -> bytes:
    """The serialised model (deterministic)."""
    vocab = np.array(list(SENTIMENT_LEXICON), dtype=object).reshape(-1, 1)
    weights = np.array(list(SENTIMENT_LEXICON.values()), dtype=np.float32)
    inits = [
        const("vocabulary", vocab),
        const("word_weights", weights),
        const("axis_words", np.array([1], dtype=np.int64)),
        const("axis_vocabulary", np.array([0], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node(
            "StringNormalizer",
            ["text"],
            ["words"],
            case_change_action="LOWER",
            is_case_sensitive=0,
            locale="C",  # onnxruntime fails without it where en_US is not installed
        ),
        helper.make_node("Equal", ["vocabulary", "words"], ["matches"]),  # [V, n]
        helper.make_node("Cast", ["matches"], ["matches_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["matches_f", "axis_words"], ["counts"], keepdims=0),
        helper.make_node("Mul", ["counts", "word_weights"], ["contributions"]),
        helper.make_node("ReduceSum", ["contributions", "axis_vocabulary"], ["score"], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        NAME,
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["n"])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [1])],
        initializer=inits,
    )
    return serialise(graph, STRING_OPSET, STRING_IR_VERSION, DOC)


def sample() -> dict[str, np.ndarray]:
    """A short, positive sentence, one word per element."""
    words = ["ETH", "looks", "bullish", "after", "a", "strong", "breakout"]
    return {"text": np.array(words, dtype=object)}
