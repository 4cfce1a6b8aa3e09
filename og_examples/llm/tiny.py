"""Build the project's tiny example LLM: a byte-level BPE tokenizer and an n-gram LM in ONNX.

What it is, honestly: a back-off n-gram model (orders 6 → 3 → 2) counted from the small
corpus in `og_examples.llm.corpus`. It memorises that text; it does not understand anything, and
it looks only at the last five tokens. It exists so that the whole LLM path (tokenizer,
ONNX runtime, chat template, tool calls, sampling, records) runs for real, offline, with
deterministic, sensible-looking output. Any ONNX causal LM that follows the same convention
(`ogkit.llm.onnx_lm`) plugs in the same way.

The graph: pad `input_ids` on the left with `<|pad|>`, form the context id of the last k
tokens at every position (Σ token·V^i), look it up among the contexts seen in training
(Equal → ArgMax → Gather a row of log-probabilities), and fall back to the next lower order
where the context was never seen. Output `logits` [batch, seq, vocab], as HF exports.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from og_examples.llm.corpus import DIALOGUES, DOCUMENTS
from ogkit.llm import chat_template
from precompiles.inference.llm_types import ChatMessage, ToolCall, ToolDefinition

NAME = "tiny-llm"
VOCAB_SIZE = 512
ORDERS = (6, 3)  # context lengths looked up in tables; order 1 (previous token) backs them off
SMOOTHING = 1e-6  # add-α: unseen tokens keep a tiny probability when sampling
OPSET = 17
EXTRA_TOKENS = (chat_template.TOOL_CALL_OPEN, chat_template.TOOL_CALL_CLOSE)


def training_texts() -> list[str]:
    """Documents and rendered dialogues, each closed by the end token."""
    texts = [doc + chat_template.END for doc in DOCUMENTS]
    for dialogue in DIALOGUES:
        tools = [
            ToolDefinition(t["description"], t["name"], t["parameters"])
            for t in dialogue.get("tools", [])
        ]
        messages = [
            ChatMessage(
                m["role"],
                m["content"],
                tool_calls=tuple(
                    ToolCall("", c["name"], c["arguments"]) for c in m.get("tool_calls", [])
                ),
            )
            for m in dialogue["messages"]
        ]
        texts.append(chat_template.render(messages, tools, add_generation_prompt=False))
    return texts


def train_tokenizer(texts: list[str]) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=list(chat_template.SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.add_tokens(list(EXTRA_TOKENS))
    return tokenizer


def _context_id(tokens: list[int], vocab: int) -> int:
    return sum(t * vocab**i for i, t in enumerate(reversed(tokens)))


def _log_probs(counter: Counter[int], vocab: int) -> np.ndarray:
    row = np.full(vocab, SMOOTHING, dtype=np.float64)
    for token, count in counter.items():
        row[token] += count
    return np.log(row / row.sum()).astype(np.float32)


def count_ngrams(
    sequences: list[list[int]], vocab: int, pad: int
) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Bigram table [V, V] and, per order, (context ids [K], log-prob rows [K, V])."""
    longest = max(ORDERS)
    bigram: dict[int, Counter[int]] = defaultdict(Counter)
    tables: dict[int, dict[int, Counter[int]]] = {k: defaultdict(Counter) for k in ORDERS}
    for seq in sequences:
        padded = [pad] * (longest - 1) + seq
        for i in range(longest - 1, len(padded) - 1):
            following = padded[i + 1]
            bigram[padded[i]][following] += 1
            for k in ORDERS:
                tables[k][_context_id(padded[i - k + 1 : i + 1], vocab)][following] += 1
    uniform = np.full(vocab, -math.log(vocab), dtype=np.float32)
    bigram_table = np.stack(
        [_log_probs(bigram[t], vocab) if t in bigram else uniform for t in range(vocab)]
    )
    by_order = {}
    for k in ORDERS:
        contexts = sorted(tables[k])
        rows = np.stack([_log_probs(tables[k][c], vocab) for c in contexts])
        by_order[k] = (np.array(contexts, dtype=np.int64), rows)
    return bigram_table, by_order


def _order_lookup(
    k: int, vocab: int, table: tuple[np.ndarray, np.ndarray], previous: str
) -> tuple[list[onnx.TensorProto], list[onnx.NodeProto]]:
    """Initializers and nodes of order `k`: the context id of the last k tokens (Σ token·V^j),
    its row among the contexts seen in training, and `previous` (the next lower order's
    logits) where it was never seen. Outputs `logits_{k}`."""
    longest = max(ORDERS)
    contexts, rows = table
    inits = [
        numpy_helper.from_array(contexts, f"contexts_{k}"),
        numpy_helper.from_array(rows, f"logp_{k}"),
    ]
    nodes: list[onnx.NodeProto] = []
    terms = []
    for j in range(k):  # token j positions back, weighted V^j
        start = longest - 1 - j
        end = -j if j else np.iinfo(np.int64).max
        inits += [
            numpy_helper.from_array(np.array([start], dtype=np.int64), f"s_{k}_{j}"),
            numpy_helper.from_array(np.array([end], dtype=np.int64), f"e_{k}_{j}"),
            numpy_helper.from_array(np.array(vocab**j, dtype=np.int64), f"w_{k}_{j}"),
        ]
        nodes += [
            helper.make_node(
                "Slice", ["padded", f"s_{k}_{j}", f"e_{k}_{j}", "axis1"], [f"tok_{k}_{j}"]
            ),
            helper.make_node("Mul", [f"tok_{k}_{j}", f"w_{k}_{j}"], [f"term_{k}_{j}"]),
        ]
        terms.append(f"term_{k}_{j}")
    total = terms[0]
    for index, term in enumerate(terms[1:]):  # Sum has no int64 kernel: chain Adds
        nodes.append(helper.make_node("Add", [total, term], [f"acc_{k}_{index}"]))
        total = f"acc_{k}_{index}"
    nodes.append(helper.make_node("Identity", [total], [f"ctx_{k}"]))
    nodes += [
        helper.make_node("Unsqueeze", [f"ctx_{k}", "last_axis"], [f"ctx_col_{k}"]),
        helper.make_node("Equal", [f"ctx_col_{k}", f"contexts_{k}"], [f"eq_{k}"]),
        helper.make_node("Cast", [f"eq_{k}"], [f"eqf_{k}"], to=TensorProto.FLOAT),
        helper.make_node("ArgMax", [f"eqf_{k}"], [f"row_{k}"], axis=-1, keepdims=0),
        helper.make_node("ReduceMax", [f"eqf_{k}"], [f"hit_{k}"], axes=[-1], keepdims=1),
        helper.make_node("Gather", [f"logp_{k}", f"row_{k}"], [f"seen_{k}"]),
        helper.make_node("Sub", ["one_f", f"hit_{k}"], [f"miss_{k}"]),
        helper.make_node("Mul", [f"seen_{k}", f"hit_{k}"], [f"a_{k}"]),
        helper.make_node("Mul", [previous, f"miss_{k}"], [f"b_{k}"]),
        helper.make_node("Add", [f"a_{k}", f"b_{k}"], [f"logits_{k}"]),
    ]
    return inits, nodes


def build_graph(
    vocab: int, pad: int, bigram: np.ndarray, tables: dict[int, tuple[np.ndarray, np.ndarray]]
) -> onnx.ModelProto:
    """The n-gram LM as an ONNX graph: pad on the left, bigram logits, then each order of
    `ORDERS` (lowest first) overriding the one below where its context was seen."""
    longest = max(ORDERS)
    nodes: list[onnx.NodeProto] = []
    inits = [
        numpy_helper.from_array(np.full((1, longest - 1), pad, dtype=np.int64), "pad_row"),
        numpy_helper.from_array(np.array([longest - 1], dtype=np.int64), "pad_len"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_i"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one_f"),
        numpy_helper.from_array(bigram, "bigram_logp"),
    ]
    nodes += [
        helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
        helper.make_node("Slice", ["ids_shape", "zero", "one_i"], ["batch"]),
        helper.make_node("Concat", ["batch", "pad_len"], ["pad_shape"], axis=0),
        helper.make_node("Expand", ["pad_row", "pad_shape"], ["pads"]),
        helper.make_node("Concat", ["pads", "input_ids"], ["padded"], axis=1),
        helper.make_node("Gather", ["bigram_logp", "input_ids"], ["logits_1"]),
    ]
    previous = "logits_1"
    for k in sorted(ORDERS):
        order_inits, order_nodes = _order_lookup(k, vocab, tables[k], previous)
        inits += order_inits
        nodes += order_nodes
        previous = f"logits_{k}"
    inits.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"))
    nodes.append(helper.make_node("Identity", [previous], ["logits"]))
    graph = helper.make_graph(
        nodes,
        "tiny_ngram_lm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", vocab])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    # The modules' old names, kept: they are in the model's bytes, and so in its CID.
    model.producer_name = "ogkit.llm.tiny"
    model.doc_string = (
        "Back-off n-gram LM counted from ogkit.llm.corpus (a toy, see its docstring)."
    )
    onnx.checker.check_model(model)
    return model


def build_tiny_llm(directory: Path) -> tuple[Path, Path]:
    """Write `tiny-llm.onnx` and `tokenizer.json` into `directory`; deterministic."""
    texts = training_texts()
    tokenizer = train_tokenizer(texts)
    vocab = tokenizer.get_vocab_size()
    pad = tokenizer.token_to_id("<|pad|>")
    sequences = [tokenizer.encode(text).ids for text in texts]
    bigram, tables = count_ngrams(sequences, vocab, pad)
    model = build_graph(vocab, pad, bigram, tables)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / f"{NAME}.onnx"
    tokenizer_path = directory / "tokenizer.json"
    model_path.write_bytes(model.SerializeToString())
    tokenizer_path.write_text(tokenizer.to_str())
    return model_path, tokenizer_path
