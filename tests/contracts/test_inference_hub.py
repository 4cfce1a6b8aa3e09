"""The inference hub at its alpha address from genesis on `opengradient:local`: `run` forwards
to 0xF4, returns its output and re-emits it, so one receipt holds both events; reverts of
0xF4 bubble up unchanged. The scheduler is there too (its behaviour: test_task_scheduler.py)."""

from __future__ import annotations

import json

import ape
import numpy as np
import onnxruntime as ort
import pytest
from eth_utils import to_checksum_address
from store_support import UPSTREAM_STYLE_CID

from ogkit.chain.genesis import INFERENCE_HUB_ADDRESS, TASK_SCHEDULER_ADDRESS
from ogkit.contracts import load
from precompiles.addresses import OG_INFERENCE_ADDRESS as OG_INFERENCE_BYTES
from precompiles.fixed_point import from_array, to_array

INPUT_NUMBERS = ((7286679744720459, 17), (4486280852050781, 16))
MODEL_INPUT = ((("input", INPUT_NUMBERS, (2,)),), ())
# 2 * 0.0728668 - 0.5 * 0.4486281 + 0.25 = 0.17141955 in float32 (shortest repr)
EXPECTED_NUMBER = (17141955, 8)
OG_INFERENCE_ADDRESS = to_checksum_address(OG_INFERENCE_BYTES)
EXPECTED_OUTPUT = ((("output", (EXPECTED_NUMBER,), (1,)),), (), (), False)


def plain(value):
    """Ape's decoded structs and lists as nested tuples."""
    if isinstance(value, str | bytes | int | bool):
        return value
    if hasattr(value, "model_dump"):  # ModelOutput and friends
        return tuple(plain(v) for v in value.__dict__.values())
    return tuple(plain(v) for v in value)


def test_expected_output_is_onnxruntimes(model_store):
    session = ort.InferenceSession(
        model_store.read(model_store.resolve(UPSTREAM_STYLE_CID)),
        providers=["CPUExecutionProvider"],
    )
    x = to_array(INPUT_NUMBERS, np.dtype(np.float32))
    (out,) = session.run(["output"], {"input": x})
    assert tuple(from_array(out)) == (EXPECTED_NUMBER,)


@pytest.fixture(scope="module")
def hub(project, model_store):
    return project.InferenceHub.at(INFERENCE_HUB_ADDRESS)


def test_hub_and_scheduler_code_from_genesis(chain):
    assert chain.provider.get_code(INFERENCE_HUB_ADDRESS) == load("InferenceHub").runtime
    assert chain.provider.get_code(TASK_SCHEDULER_ADDRESS) == load("TaskScheduler").runtime


def test_test_accounts_unchanged(accounts):
    # genesis has three more entries; eth-tester must not derive extra accounts for them
    assert len(accounts) == 10


def test_run_returns_the_output_and_the_receipt_has_both_events(hub, accounts, chain):
    assert plain(hub.run.call(UPSTREAM_STYLE_CID, 0, MODEL_INPUT)) == EXPECTED_OUTPUT
    receipt = hub.run(UPSTREAM_STYLE_CID, 0, MODEL_INPUT, sender=accounts[0])

    assert receipt.status == 1
    precompile_event, hub_event = receipt.decode_logs()
    assert precompile_event.contract_address == OG_INFERENCE_ADDRESS
    assert precompile_event.event_name == "ModelInferenceEvent"
    assert plain(precompile_event.request) == (0, UPSTREAM_STYLE_CID, MODEL_INPUT)
    assert plain(precompile_event.response) == EXPECTED_OUTPUT
    assert hub_event.contract_address == INFERENCE_HUB_ADDRESS
    assert hub_event.event_name == "InferenceResult"
    assert plain(hub_event.output) == EXPECTED_OUTPUT
    record = chain.provider.inference_engine.records[precompile_event.inferenceID]
    assert record.block_number == receipt.block_number


@pytest.mark.parametrize("mode", [1, 2])
def test_run_forwards_the_mode(hub, accounts, mode):
    receipt = hub.run(UPSTREAM_STYLE_CID, mode, MODEL_INPUT, sender=accounts[0])
    precompile_event, hub_event = receipt.decode_logs()
    assert plain(precompile_event.request) == (mode, UPSTREAM_STYLE_CID, MODEL_INPUT)
    assert plain(hub_event.output) == EXPECTED_OUTPUT


def test_precompile_revert_bubbles_up(hub, accounts):
    with ape.reverts("OGInference: model not found: no-such-model"):
        hub.run("no-such-model", 0, MODEL_INPUT, sender=accounts[0])
    with ape.reverts("OGInference: Input not found: input"):
        hub.run(UPSTREAM_STYLE_CID, 0, ((), ()), sender=accounts[0])


def _revert_message(call) -> str:
    with ape.reverts() as caught:
        call()
    return caught.value.message


def _precompile_revert(chain, calldata: bytes) -> str:
    """eth_call straight to 0xF4 (eth-tester reports the revert as TransactionFailed)."""
    from eth_tester.exceptions import TransactionFailed

    with pytest.raises(TransactionFailed) as caught:
        chain.provider.web3.eth.call({"to": OG_INFERENCE_ADDRESS, "data": calldata})
    return str(caught.value).removeprefix("execution reverted: ")


def test_llm_reverts_of_the_precompile_bubble_up(hub, accounts, chain):
    """The hub forwards LLM requests as they are; whatever 0xF4 reverts with, the hub does."""
    completion = (0, "no-such-llm", "Hello", 16, [], 0)
    chat = (0, "no-such-llm", [("user", "Hello", "", "", [])], [], "", 16, [], 0)
    for name, request in (("runLLMCompletion", completion), ("runLLMChat", chat)):
        calldata = getattr(hub, name).encode_input(request)  # the same selector as 0xF4's
        direct = _precompile_revert(chain, calldata)
        assert direct.startswith("OGInference: ")
        via_call = _revert_message(lambda: getattr(hub, name).call(request))  # noqa: B023
        via_tx = _revert_message(
            lambda: getattr(hub, name)(request, sender=accounts[0])  # noqa: B023
        )
        assert via_call == via_tx == direct


def test_hub_llm_completion_and_chat_return_and_emit(hub, accounts):
    """The LLM functions forward to 0xF4's tiny local LLM: both events in one receipt."""
    completion = (0, "tiny-llm", "The quick brown fox", 39, [], 0)  # not test_llm_*'s request
    assert tuple(hub.runLLMCompletion.call(completion)) == (" jumps over the lazy dog.",)
    receipt = hub.runLLMCompletion(completion, sender=accounts[0])
    precompile_event, hub_event = receipt.decode_logs()
    assert (precompile_event.contract_address, precompile_event.event_name) == (
        OG_INFERENCE_ADDRESS,
        "LLMCompletionEvent",
    )
    assert tuple(precompile_event.response) == (" jumps over the lazy dog.",)
    assert (hub_event.contract_address, hub_event.event_name) == (
        INFERENCE_HUB_ADDRESS,
        "LLMCompletionResult",
    )
    assert tuple(hub_event.response) == (" jumps over the lazy dog.",)

    weather = (
        "Get the current weather for a city",
        "get_weather",
        '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}',
    )
    chat = (
        0,
        "tiny-llm",
        [("user", "What is the weather in Paris?", "", "", [])],
        [weather],
        "auto",
        64,
        [],
        0,
    )
    receipt = hub.runLLMChat(chat, sender=accounts[0])
    precompile_event, hub_event = receipt.decode_logs()
    assert precompile_event.event_name == "LLMChat"
    assert hub_event.event_name == "LLMChatResult"
    finish_reason, message = hub_event.response
    assert finish_reason == "tool_calls"
    ((_, name, arguments),) = message[4]
    assert (name, json.loads(arguments)) == ("get_weather", {"city": "Paris"})
    assert tuple(precompile_event.response) == tuple(hub_event.response)
