"""The LLM node pieces: the tiny ONNX LLM, the ONNX-LLM convention, the chat template, the
store bundle and `ogkit models add-llm`, sampling, and the JSON-RPC node's 0xF4."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from click.testing import CliRunner
from eth_abi import encode
from onnx import TensorProto, helper
from tokenizers import Tokenizer

from og_examples.llm.tiny import build_tiny_llm
from og_examples.models import build_examples
from ogkit.cli import main
from ogkit.llm import LLMEngine, chat_template, default_llm_engine
from ogkit.llm.bundle import FORMAT, read_bundle
from ogkit.llm.http_backend import OpenAIHttpBackend
from ogkit.llm.onnx_lm import OnnxCausalLM
from ogkit.models.store import ModelStore
from precompiles.host import CallContext, ModelExecutionError, ModelNotFound
from precompiles.inference.llm_codec import LLM_COMPLETION_REQUEST, decode_llm_completion_response
from precompiles.inference.llm_types import (
    ChatMessage,
    LLMCompletionRequest,
    ToolCall,
    ToolDefinition,
)
from precompiles.inference.precompile import RUN_LLM_COMPLETION

CONTEXT = CallContext(b"\1" * 20, b"\1" * 20, 1, 1_700_000_000, 10**7)
PARAMS = '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}'


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    return build_tiny_llm(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def lm(tiny) -> OnnxCausalLM:
    model, tokenizer = tiny
    return OnnxCausalLM(model.read_bytes(), tokenizer.read_text(), "<|end|>", 2048)


def test_tiny_llm_builds_the_same_bytes_quickly(tmp_path, tiny):
    start = time.perf_counter()
    model, tokenizer = build_tiny_llm(tmp_path)
    assert time.perf_counter() - start < 10
    assert model.read_bytes() == tiny[0].read_bytes()
    assert tokenizer.read_text() == tiny[1].read_text()


def test_tiny_llm_is_an_onnx_graph_with_the_convention(tiny):
    model, tokenizer_path = tiny
    onnx.checker.check_model(onnx.load(str(model)))
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in session.get_inputs()] == [("input_ids", "tensor(int64)")]
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    ids = tokenizer.encode("The quick brown fox").ids
    (logits,) = session.run(["logits"], {"input_ids": np.array([ids], dtype=np.int64)})
    assert logits.shape == (1, len(ids), tokenizer.get_vocab_size())
    # the last position's argmax is the corpus's next token
    assert tokenizer.decode([int(np.argmax(logits[0, -1]))]) == " j"


def test_greedy_completion_and_limits(lm):
    assert lm.generate("The quick brown fox", 40).text == " jumps over the lazy dog."
    stopped = lm.generate("The quick brown fox", 40, stop=(" lazy", " over"))
    assert (stopped.text, stopped.finish_reason) == (" jumps", "stop")
    short = lm.generate("OpenGradient runs", 5)
    assert (short.text, short.finish_reason, short.completion_tokens) == (
        " AI models inside the EV",
        "length",
        5,
    )
    with pytest.raises(ModelExecutionError, match="exceeds the model's context of 2048"):
        lm.generate("The quick brown fox", 2040)


def test_sampling_is_deterministic_per_seed(lm):
    samples = {
        seed: lm.generate("Snow in", 12, temperature=1.0, seed=seed).text for seed in range(8)
    }
    assert samples == {
        seed: lm.generate("Snow in", 12, temperature=1.0, seed=seed).text for seed in range(8)
    }
    assert len(set(samples.values())) > 1  # the seed matters
    assert lm.generate("Snow in", 12).text == " Paris."  # greedy


def test_chat_template_renders_messages_and_tools():
    weather = ToolDefinition("Current weather for a city", "get_weather", PARAMS)
    messages = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Weather in Paris?"),
        ChatMessage(
            "assistant", "", tool_calls=(ToolCall("c1", "get_weather", '{"city":"Paris"}'),)
        ),
        ChatMessage("tool", '{"temperature_c": 18}', tool_call_id="c1"),
    ]
    assert chat_template.render(messages, [weather], "auto") == (
        "<|system|>Be brief.<|end|>\n"
        "<|tools|>- get_weather: Current weather for a city. Arguments: "
        '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}'
        "<|end|>\n"
        "<|user|>Weather in Paris?<|end|>\n"
        '<|assistant|><tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}'
        "</tool_call><|end|>\n"
        '<|tool|>{"temperature_c": 18}<|end|>\n'
        "<|assistant|>"
    )
    assert "<|tools|>" not in chat_template.render(messages, [weather], "none")


def test_parse_reply_takes_only_well_formed_calls_to_offered_tools():
    text = 'ok <tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>'
    reply = chat_template.parse_reply(text, ["get_weather"], "seed")
    assert reply.content == "ok"
    ((call_id, name, arguments),) = [(c.id, c.name, c.arguments) for c in reply.tool_calls]
    assert call_id.startswith("call_") and name == "get_weather"
    assert json.loads(arguments) == {"city": "Oslo"}
    for bad in ("<tool_call>{not json}</tool_call>", '<tool_call>{"name": "other"}</tool_call>'):
        assert chat_template.parse_reply(bad, ["get_weather"], "s").content == bad
    assert chat_template.parse_reply(text, [], "s").tool_calls == ()


def _with_attention_mask(model_path: Path) -> bytes:
    """The tiny LLM re-exported HF style, with an `attention_mask` input it accepts."""
    model = onnx.load(str(model_path))
    model.graph.input.append(
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])
    )
    return model.SerializeToString()


def test_add_llm_cli_makes_a_users_onnx_llm_addressable(tmp_path, tiny):
    model, tokenizer = tiny
    own = tmp_path / "my-lm.onnx"
    own.write_bytes(_with_attention_mask(model))
    store_dir = tmp_path / "store"
    result = CliRunner().invoke(
        main,
        ["models", "add-llm", str(own), "--tokenizer", str(tokenizer), "--name", "my-lm",
         "--store", str(store_dir)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cid = result.output.strip()
    store = ModelStore(store_dir)
    bundle = read_bundle(store, "my-lm")
    assert bundle.cid == cid and bundle.name == "my-lm"
    manifest = json.loads(store.read(store.resolve(cid)))
    assert manifest["format"] == FORMAT
    assert store.read(store.resolve(manifest["model"])) == own.read_bytes()
    engine = LLMEngine(store)
    for model_id in ("my-lm", cid):
        spec = engine.resolve_llm(model_id)
        request = LLMCompletionRequest(0, model_id, "The quick brown fox", 40, (), 0)
        result_ = engine.generate(spec, request, "id", CONTEXT)
        assert result_.message.content == " jumps over the lazy dog."
    assert engine.model_runs == 1  # the CID and the name pin the same model: one run


def test_add_llm_rejects_what_is_not_an_llm(tmp_path, tiny):
    sentiment = build_examples(tmp_path / "examples")["sentiment"]
    result = CliRunner().invoke(
        main,
        ["models", "add-llm", str(sentiment), "--tokenizer", str(tiny[1]), "--name", "x",
         "--store", str(tmp_path / "store")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "not a usable LLM: an LLM needs an int64 input 'input_ids'" in result.output


def test_unknown_ids_and_plain_onnx_models_are_not_llms(model_store):
    engine = LLMEngine(model_store)
    for model_id in ("no-such-llm", "sentiment", "upstream_demo"):
        with pytest.raises(ModelNotFound):
            engine.resolve_llm(model_id)
    assert engine.resolve_llm("tiny-llm").backend == "onnx"


def test_endpoint_from_environment(monkeypatch, model_store):
    monkeypatch.setenv("OGKIT_LLM_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OGKIT_LLM_API_KEY", "sk-x")
    engine = default_llm_engine(model_store.root)
    assert (engine.http.base_url, engine.http.api_key) == ("http://127.0.0.1:9", "sk-x")
    assert engine.resolve_llm("gpt-4o").backend == "http"
    assert engine.resolve_llm("tiny-llm").backend == "onnx"  # the store's LLMs stay local
    monkeypatch.delenv("OGKIT_LLM_URL")
    assert default_llm_engine(model_store.root).http is None
    assert isinstance(OpenAIHttpBackend.from_env(), type(None))


def test_the_node_answers_llm_calls(model_store):
    from ogkit.node import NodeChain, NodeConfig, Rpc

    node = NodeChain(NodeConfig(model_store=model_store.root))
    rpc = Rpc(node, "test")
    data = RUN_LLM_COMPLETION + encode(
        [LLM_COMPLETION_REQUEST], [(0, "tiny-llm", "Verifiable AI means", 12, [], 0)]
    )
    call = {"to": "0x00000000000000000000000000000000000000F4", "data": "0x" + data.hex()}
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, "latest"]}
    reply = json.loads(rpc.handle(json.dumps(body).encode()))
    assert "error" not in reply, reply
    response = decode_llm_completion_response(bytes.fromhex(reply["result"][2:]))
    assert response.answer == " that anyone can check whi"
    runs = node.llm_engine.model_runs
    tracer = {"tracer": "callTracer"}
    body = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "debug_traceCall",
        "params": [call, "latest", tracer],
    }
    trace = json.loads(rpc.handle(json.dumps(body).encode()))
    assert "error" not in trace, trace
    assert trace["result"]["output"] == reply["result"]  # the trace reads the cached result
    assert node.llm_engine.model_runs == runs
