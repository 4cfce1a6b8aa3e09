"""The inference hub and the task scheduler have OpenGradient's published interfaces, byte for
byte: the committed artifacts (equal to a fresh compile, test_contract_artifacts.py) against
shared/reference/abi/ and the selectors and topics of shared/reference/opengradient-interface.md
§8 and §9. No chain needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector
from eth_utils.abi import abi_to_signature

from ogkit.contracts import load

REFERENCE_ABI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "abi"

HUB_FUNCTIONS = {
    "run": (
        "0xcbf09d80",
        "run(string,uint8,((string,(int128,int128)[],uint32[])[],(string,string[])[]))",
    ),
    "runLLMCompletion": (
        "0x14800c61",
        "runLLMCompletion((uint8,string,string,uint32,string[],uint32))",
    ),
    "runLLMChat": (
        "0xe39aa7e7",
        "runLLMChat((uint8,string,(string,string,string,string,(string,string,string)[])[],"
        "(string,string,string)[],string,uint32,string[],uint32))",
    ),
}
HUB_EVENTS = {
    "InferenceResult": "0xc1396ff68bc2d8630100df29ce5561fa99078c602e8676ab72a53e37095d7168",
    "LLMCompletionResult": "0xe522a1a92cb132ca102e36a004efceb8c83284b64164e0d128ddce12e86cab7b",
    "LLMChatResult": "0x53fcd580be8545626a896d86eb76e16597d793de715dda5d21df71d303d1ff96",
}
SCHEDULER_FUNCTIONS = {
    "registerTask": ("0x31a7e88c", "registerTask(address,uint256,uint256)"),
    "updateTask": ("0xacac5393", "updateTask(address,uint256,uint256)"),
    "stopTask": ("0x2f730891", "stopTask(address)"),
    "getAllTasks": ("0x779900b4", "getAllTasks()"),
    "tasks": ("0xe579f500", "tasks(bytes32)"),
    "taskIds": ("0x39118d25", "taskIds(uint256)"),
}
SCHEDULER_EVENTS = {
    "TaskRegistered": "0x2f401f04107164177693d79d92457c4baa184a9b5a5265d3e6d4ab0ab6716724",
    "TaskStopped": "0x241f6a996425ccc55c93e17e9edc6e85a05deaf40ba91ab84dd4a4ccfa04070a",
    "TaskUpdated": "0x8e337393daef41df7da28202ae5795388856a55cccc6993dc6c60991de8af034",
}
TASK_COMPONENTS = [
    ("user", "address"),
    ("contractAddress", "address"),
    ("endTime", "uint256"),
    ("frequency", "uint256"),
]


def _reference(name: str) -> list[dict]:
    path = REFERENCE_ABI_DIR / name
    if not path.is_file():
        pytest.skip(f"reference ABI not found at {path} (shared/ not beside the repo)")
    return json.loads(path.read_text())


def _normalised(abi: list[dict]) -> list[str]:
    return sorted(json.dumps(entry, sort_keys=True) for entry in abi)


def _by_name(abi: list[dict], kind: str) -> dict[str, dict]:
    return {e["name"]: e for e in abi if e["type"] == kind}


def test_hub_abi_is_the_published_one_exactly():
    assert _normalised(load("InferenceHub").abi) == _normalised(_reference("inference.abi.json"))


def test_hub_selectors_and_topics():
    abi = load("InferenceHub").abi
    functions = _by_name(abi, "function")
    assert sorted(functions) == sorted(HUB_FUNCTIONS)
    for name, (selector, signature) in HUB_FUNCTIONS.items():
        assert abi_to_signature(functions[name]) == signature
        assert "0x" + function_abi_to_4byte_selector(functions[name]).hex() == selector
    events = _by_name(abi, "event")
    assert sorted(events) == sorted(HUB_EVENTS)
    for name, topic in HUB_EVENTS.items():
        assert "0x" + event_abi_to_log_topic(events[name]).hex() == topic
        assert not any(i["indexed"] for i in events[name]["inputs"])


def test_hub_llm_functions_equal_the_precompiles():
    hub = _by_name(load("InferenceHub").abi, "function")
    precompile = _by_name(_reference("InferencePrecompile.abi.json"), "function")
    for name in ("runLLMCompletion", "runLLMChat"):
        assert json.dumps(hub[name], sort_keys=True) == json.dumps(precompile[name], sort_keys=True)


def test_scheduler_register_task_is_the_published_fragment():
    (published,) = _reference("WorkflowScheduler.abi.json")
    ours = _by_name(load("TaskScheduler").abi, "function")["registerTask"]
    assert json.dumps(ours, sort_keys=True) == json.dumps(published, sort_keys=True)


def test_scheduler_selectors_topics_and_nothing_else():
    abi = load("TaskScheduler").abi
    functions = _by_name(abi, "function")
    assert sorted(functions) == sorted(SCHEDULER_FUNCTIONS)
    for name, (selector, signature) in SCHEDULER_FUNCTIONS.items():
        assert abi_to_signature(functions[name]) == signature
        assert "0x" + function_abi_to_4byte_selector(functions[name]).hex() == selector
    events = _by_name(abi, "event")
    assert sorted(events) == sorted(SCHEDULER_EVENTS)
    for name, topic in SCHEDULER_EVENTS.items():
        assert "0x" + event_abi_to_log_topic(events[name]).hex() == topic
        indexed = [i["indexed"] for i in events[name]["inputs"]]
        assert indexed[:2] == [True, True] and not any(indexed[2:])
        assert [i["name"] for i in events[name]["inputs"][:2]] == ["user", "contractAddress"]
    assert {e["type"] for e in abi} == {"function", "event"}  # no constructor, no fallback


def test_scheduler_task_struct_and_getters():
    functions = _by_name(load("TaskScheduler").abi, "function")
    (all_tasks,) = functions["getAllTasks"]["outputs"]
    assert all_tasks["type"] == "tuple[]"
    assert [(c["name"], c["type"]) for c in all_tasks["components"]] == TASK_COMPONENTS
    assert [(o["name"], o["type"]) for o in functions["tasks"]["outputs"]] == TASK_COMPONENTS
    assert [o["type"] for o in functions["taskIds"]["outputs"]] == ["bytes32"]
    assert functions["getAllTasks"]["stateMutability"] == "view"
