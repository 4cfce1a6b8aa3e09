"""0xF4's LLM functions called directly (no EVM): every bad input is a readable revert with
gas charged, the gas formula is exact, static calls leave no trace, and fuzzed calldata
never lets a Python exception out."""

from __future__ import annotations

import pytest
from eth_abi import decode, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai_stub import API_KEY, OpenAIStub

from ogkit.inference import InferenceEngine
from ogkit.llm import LLMEngine
from ogkit.llm.http_backend import OpenAIHttpBackend
from precompiles import gas, limits
from precompiles.host import CallContext
from precompiles.inference.llm_codec import (
    LLM_CHAT_REQUEST,
    LLM_COMPLETION_REQUEST,
    decode_llm_completion_response,
    encode_llm_completion_event,
)
from precompiles.inference.llm_types import LLMCompletionRequest, LLMCompletionResponse
from precompiles.inference.precompile import RUN_LLM_CHAT, RUN_LLM_COMPLETION, run

GAS = 10_000_000
SENDER = bytes.fromhex("11" * 20)
PARAMS = '{"type": "object", "properties": {"city": {"type": "string"}}}'


@pytest.fixture(scope="module")
def engines(model_store):
    return InferenceEngine(model_store), LLMEngine(model_store)


def context(static: bool = False, gas_available: int = GAS) -> CallContext:
    return CallContext(SENDER, SENDER, 7, 1_700_000_000, gas_available, is_static=static)


def completion(prompt="The quick brown fox", max_tokens=40, stop=(), temperature=0, mode=0,
               model="tiny-llm") -> bytes:  # fmt: skip
    request = (mode, model, prompt, max_tokens, list(stop), temperature)
    return RUN_LLM_COMPLETION + encode([LLM_COMPLETION_REQUEST], [request])


def message(role="user", content="Hello!", tool_calls=(), tool_call_id=""):
    return (role, content, "", tool_call_id, list(tool_calls))


HELLO = message()


def chat(messages=(HELLO,), tools=(), tool_choice="", max_tokens=40, mode=0,
         model="tiny-llm") -> bytes:  # fmt: skip
    request = (mode, model, list(messages), list(tools), tool_choice, max_tokens, [], 0)
    return RUN_LLM_CHAT + encode([LLM_CHAT_REQUEST], [request])


def call(engines, data: bytes, ctx: CallContext | None = None):
    backend, llm = engines
    return run(data, ctx or context(), backend, llm)


LLM_COMPUTE = 14_272
"""The tiny LLM's compute term for the completion below (precompiles/gas.py)."""


def test_completion_gas_is_the_documented_formula(engines):
    result = call(engines, completion())
    assert not result.reverted, result.reason
    response = decode_llm_completion_response(result.output)
    assert response == LLMCompletionResponse(" jumps over the lazy dog.")
    request = LLMCompletionRequest(0, "tiny-llm", "The quick brown fox", 40, (), 0)
    (log,) = result.logs
    (inference_id,) = decode(["string"], log.data)  # the event's first field
    assert log.data == encode_llm_completion_event(inference_id, request, response)
    tokens = 16  # the tiny model's BPE tokens for " jumps over the lazy dog."
    assert result.gas_used == (
        gas.BASE
        + gas.LLM_BASE
        + gas.PER_PROMPT_BYTE * len("The quick brown fox")
        + gas.PER_GENERATED_TOKEN * tokens
        + LLM_COMPUTE
        + gas.log_gas(len(log.data))
    )
    # 3,534,716 weight bytes x (17 passes x 11 prompt tokens + 1 + 2 + ... + 16) positions
    assert LLM_COMPUTE == gas.llm_compute_gas(3_534_716, 11, tokens) == 14_272


def test_static_call_emits_nothing_and_records_nothing(engines):
    _, llm = engines
    records = len(llm.records)
    result = call(engines, completion(prompt="Once upon"), context(static=True))
    assert not result.reverted and result.logs == []
    assert len(llm.records) == records


def test_without_an_llm_backend_the_functions_revert(engines):
    backend, _ = engines
    result = run(completion(), context(), backend)
    assert result.reverted
    assert result.reason == "OGInference: LLM inference is not available on this chain"
    assert result.gas_used == gas.BASE


def weather_call(arguments: str):
    return ("call_1", "get_weather", arguments)


BAD_INPUT = {
    "unknown model": (completion(model="nope"), "OGInference: LLM not found: nope"),
    "unknown mode": (completion(mode=2), "OGInference: unknown LLM inference mode 2"),
    "unknown chat mode": (chat(mode=7), "OGInference: unknown LLM inference mode 7"),
    "max_tokens over cap": (
        completion(max_tokens=limits.MAX_LLM_TOKENS + 1),
        f"OGInference: max_tokens {limits.MAX_LLM_TOKENS + 1} exceeds the cap of "
        f"{limits.MAX_LLM_TOKENS}",
    ),
    "max_tokens zero": (completion(max_tokens=0), "OGInference: max_tokens must be at least 1"),
    "temperature over 1.00": (
        completion(temperature=101),
        "OGInference: temperature 101 exceeds 100 (= 1.00; it is sent as temperature x 100)",
    ),
    "too many stop sequences": (
        completion(stop=["a", "b", "c", "d", "e"]),
        "OGInference: 5 stop sequences exceed 4",
    ),
    "empty stop sequence": (
        completion(stop=[""]),
        "OGInference: a stop sequence must be 1 to 64 bytes",
    ),
    "prompt over cap": (
        completion(prompt="x" * (limits.MAX_LLM_PROMPT_BYTES + 1)),
        f"OGInference: {limits.MAX_LLM_PROMPT_BYTES + 1} bytes of prompt exceed "
        f"{limits.MAX_LLM_PROMPT_BYTES}",
    ),
    "no messages": (chat(messages=()), "OGInference: a chat needs at least one message"),
    "unknown role": (
        chat(messages=(message(role="robot"),)),
        "OGInference: message 0 has role 'robot'; expected one of system, user, assistant, tool",
    ),
    "tool parameters not JSON": (
        chat(tools=[("Weather", "get_weather", "{oops")], tool_choice="auto"),
        "OGInference: parameters of tool 'get_weather' is not valid JSON",
    ),
    "tool parameters not an object": (
        chat(tools=[("Weather", "get_weather", "[1, 2]")], tool_choice="auto"),
        "OGInference: parameters of tool 'get_weather' must be a JSON object",
    ),
    "tool call arguments not JSON": (
        chat(
            messages=(
                HELLO,
                message("assistant", "", [weather_call("city=Paris")]),
            ),
            tools=[("Weather", "get_weather", PARAMS)],
        ),
        "OGInference: arguments of tool call 'get_weather' (message 1 has) is not valid JSON",
    ),
    "tool calls on a user message": (
        chat(messages=(message("user", "x", [weather_call("{}")]),)),
        "OGInference: message 0 (user) carries tool calls; only assistant messages may",
    ),
    "tool defined twice": (
        chat(tools=[("a", "f", "{}"), ("b", "f", "{}")]),
        "OGInference: tool 'f' is defined twice",
    ),
    "tool_choice names no tool": (
        chat(tools=[("a", "f", "{}")], tool_choice="g"),
        "OGInference: tool_choice 'g' is neither '', 'auto', 'none', 'required' nor a defined tool",
    ),
    "tool_choice required without tools": (
        chat(tool_choice="required"),
        "OGInference: tool_choice 'required' needs at least one tool",
    ),
    "truncated calldata": (
        completion()[:100],
        "OGInference: malformed calldata: offset 192 at 64 points past the end of calldata",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_reverts_with_reason_and_gas(engines, case):
    data, reason = BAD_INPUT[case]
    _, llm = engines
    runs = llm.model_runs
    result = call(engines, data)
    assert result.reverted and not result.out_of_gas
    assert result.reason == reason
    assert result.gas_used >= gas.BASE
    assert llm.model_runs == runs  # every check comes before the model runs


def test_out_of_gas_burns_the_frame(engines):
    result = call(engines, completion(), context(gas_available=gas.BASE + 1000))
    assert result.out_of_gas and result.gas_used == gas.BASE + 1000


@pytest.fixture(scope="module")
def http_engines(model_store):
    with OpenAIStub() as stub:
        yield (
            InferenceEngine(model_store),
            LLMEngine(model_store, OpenAIHttpBackend(stub.url, API_KEY, timeout_s=5)),
        )


def test_http_endpoint_tool_call_arguments_that_are_not_json_revert(http_engines):
    result = call(http_engines, chat(model="sloppy-model"))
    assert result.reverted
    assert result.reason == (
        "OGInference: arguments of tool call 'f' (the model returned) is not valid JSON"
    )


def test_http_error_status_and_bad_key_revert(model_store, http_engines):
    result = call(http_engines, completion(model="broken-model"))
    assert result.reason == (
        "OGInference: LLM inference failed: LLM endpoint returned HTTP 500: upstream overloaded"
    )
    backend, llm = http_engines
    wrong_key = LLMEngine(model_store, OpenAIHttpBackend(llm.http.base_url, "sk-wrong"))
    result = run(completion(model="gpt-x"), context(), backend, wrong_key)
    assert result.reason == (
        "OGInference: LLM inference failed: LLM endpoint returned HTTP 401: "
        "Incorrect API key provided"
    )


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.sampled_from([RUN_LLM_COMPLETION, RUN_LLM_CHAT]), st.binary(max_size=600))
def test_fuzzed_calldata_never_raises(engines, selector, tail):
    result = call(engines, selector + tail)
    assert result.reverted or result.out_of_gas or result.output
    assert "internal error" not in result.reason


@FUZZ
@given(
    st.sampled_from([completion(max_tokens=4), chat(max_tokens=4)]),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_mutated_calldata_never_raises(engines, data, flips):
    mutated = bytearray(data)
    for at, value in flips:
        if 4 <= at < len(mutated):
            mutated[at] = value
    result = call(engines, bytes(mutated))
    assert "internal error" not in result.reason
    if not result.reverted:
        assert result.output
