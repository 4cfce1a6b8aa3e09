"""The Solidity side matches OpenGradient's published 0xF4 interface byte for byte.

Compiles ``contracts/`` with py-solc-x's ``compile_standard`` through the offline solc-js
wrapper (``.solcx/solc-v0.8.28``, installed by ``make toolchain``), using the same settings
as ``ape-config.yaml`` (evm version, optimizer, import remapping), then compares the
``OGInference`` interface with ``shared/reference/abi/InferencePrecompile.abi.json``.

No chain or node is needed: these are pure ABI, selector and compile checks. What the
contracts *do* is tested on the real AI chain (`opengradient:local`, the real 0xF4
precompile and models) by the Ape tests: test_tensorlib.py, test_volatility_vault.py,
test_risk_lending_pool.py, test_sentiment_gate.py, test_upstream_consumer.py,
test_precompile_answers_in_solidity.py and test_precompile_reverts_in_solidity.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from eth_utils import (
    collapse_if_tuple,
    event_abi_to_log_topic,
    function_abi_to_4byte_selector,
)

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
INTERFACES = REPO / "ogkit" / "solidity"
SOLC_VERSION = "0.8.28"
# CI clones the repository next to `shared/`, so resolve it from this file, not from /work.
REFERENCE_ABI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "abi"
REFERENCE_ABI = REFERENCE_ABI_DIR / "InferencePrecompile.abi.json"

OG_INFERENCE_SOURCE = "ogkit/solidity/OGInference.sol"
UPSTREAM_CONSUMER_SOURCE = "contracts/examples/UpstreamStyleConsumer.sol"
UPSTREAM_IMPORT = 'import "opengradient-neuroml/src/OGInference.sol";'
EIP170_LIMIT = 24_576

# From shared/reference/opengradient-interface.md, section 4.
DOCUMENTED_FUNCTIONS = {
    "runModelInference": (
        "0x7289e9c2",
        "runModelInference((uint8,string,((string,(int128,int128)[],uint32[])[],"
        "(string,string[])[])))",
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
# Declared beside today's interface so contracts written against `opengradient-neuroml` 1.0.x
# compile and run unchanged (reference section 4, "Older shapes"); not in the reference ABI.
EARLIER_FUNCTIONS = {
    "runLLMInference": (
        "0xea3dd516",
        "runLLMInference((uint8,string,string,uint32,string[],uint32))",
    ),
}
DOCUMENTED_EVENT_TOPICS = {
    "ModelInferenceEvent": "0x1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87",
    "LLMCompletionEvent": "0x51fe69d513d73ecde3fa3bf17584f7d2acfd5f0b13d367e898d6e11e742127a3",
    "LLMChat": "0x4c92d3df7819fcd1c9f9663332f0a599a65eefdad2eaf9193cffb9dbf1919c3b",
}
DOCUMENTED_ENUMS = {
    "ModelInferenceMode": ["VANILLA", "ZK", "TEE"],
    "LLMInferenceMode": ["VANILLA", "TEE"],
    "LlmInferenceMode": ["VANILLA", "TEE"],  # 1.0.x name
}


# --------------------------------------------------------------------------- helpers


def _solc_binary() -> Path:
    os.environ.setdefault("SOLCX_BINARY_PATH", str(REPO / ".solcx"))
    binary = Path(os.environ["SOLCX_BINARY_PATH"]) / f"solc-v{SOLC_VERSION}"
    if not binary.is_file():
        pytest.skip(
            f"{binary} is missing: run `make toolchain` (copies the solc wrapper there; "
            "needs node_modules/solc from `npm ci`)"
        )
    return binary


def _ape_solidity_config() -> dict[str, Any]:
    """ape-config.yaml's `solidity:` keys over the plugin's defaults (and its remapping), as
    ape-solidity sees them in this opengradient project."""
    from ape_opengradient.solidity import with_defaults

    config = yaml.safe_load((REPO / "ape-config.yaml").read_text()) or {}
    return with_defaults(config.get("solidity") or {}, REPO, CONTRACTS)


def _settings(output_selection: dict) -> dict[str, Any]:
    """Standard-JSON settings equivalent to what ape-solidity builds from ape-config.yaml."""
    cfg = _ape_solidity_config()
    settings: dict[str, Any] = {
        "optimizer": {
            "enabled": bool(cfg.get("optimize", True)),
            "runs": int(cfg.get("optimization_runs", 200)),
        },
        "remappings": sorted(str(r) for r in cfg.get("import_remapping", [])),
        "outputSelection": output_selection,
    }
    if cfg.get("evm_version"):
        settings["evmVersion"] = cfg["evm_version"]
    if cfg.get("via_ir") is not None:
        settings["viaIR"] = bool(cfg["via_ir"])
    return settings


def _compile(sources: dict[str, str], selection: list[str]) -> dict[str, Any]:
    import solcx

    binary = _solc_binary()
    input_json = {
        "language": "Solidity",
        "sources": {sid: {"content": text} for sid, text in sources.items()},
        "settings": _settings({"*": {"*": selection, "": ["ast"]}}),
    }
    # base_path lets solc-js read imports that are not in `sources` from disk (relative to
    # the repo), exactly as ape-solidity runs it.
    return solcx.compile_standard(input_json, base_path=str(REPO), solc_binary=binary)


def _project_sources() -> dict[str, str]:
    return {
        p.relative_to(REPO).as_posix(): p.read_text(encoding="utf8")
        for p in sorted([*CONTRACTS.rglob("*.sol"), *INTERFACES.glob("*.sol")])
        if ".cache" not in p.parts
    }


def _canonical_types(params: list[dict]) -> list[str]:
    return [collapse_if_tuple(p) for p in params]


def _normalise(entry: Any) -> Any:
    """An ABI fragment with keys sorted recursively (lists keep their order)."""
    if isinstance(entry, dict):
        return {k: _normalise(entry[k]) for k in sorted(entry)}
    if isinstance(entry, list):
        return [_normalise(x) for x in entry]
    return entry


def _by_name(abi: list[dict], kind: str) -> dict[str, dict]:
    return {e["name"]: e for e in abi if e.get("type") == kind}


def _ast_nodes(node: Any, node_type: str):
    if isinstance(node, dict):
        if node.get("nodeType") == node_type:
            yield node
        for value in node.values():
            yield from _ast_nodes(value, node_type)
    elif isinstance(node, list):
        for value in node:
            yield from _ast_nodes(value, node_type)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def compiled() -> dict[str, Any]:
    return _compile(
        _project_sources(),
        ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"],
    )


@pytest.fixture(scope="module")
def reference_abi() -> list[dict]:
    if not REFERENCE_ABI.is_file():
        pytest.skip(f"reference ABI not found at {REFERENCE_ABI} (shared/ not beside the repo)")
    return json.loads(REFERENCE_ABI.read_text())


@pytest.fixture(scope="module")
def og_abi(compiled) -> list[dict]:
    return compiled["contracts"][OG_INFERENCE_SOURCE]["OGInference"]["abi"]


def _contract(compiled, source_id: str, name: str) -> dict[str, Any]:
    return compiled["contracts"][source_id][name]


# --------------------------------------------------------------------------- ABI identity


def test_same_functions_and_events(og_abi, reference_abi):
    functions = sorted([*_by_name(reference_abi, "function"), *EARLIER_FUNCTIONS])
    assert sorted(_by_name(og_abi, "function")) == functions
    assert sorted(_by_name(og_abi, "event")) == sorted(_by_name(reference_abi, "event"))
    assert {e["type"] for e in og_abi} == {e["type"] for e in reference_abi}


@pytest.mark.parametrize("name", sorted(DOCUMENTED_FUNCTIONS))
def test_function_matches_reference(og_abi, reference_abi, name):
    ours = _by_name(og_abi, "function")[name]
    ref = _by_name(reference_abi, "function")[name]

    assert function_abi_to_4byte_selector(ours) == function_abi_to_4byte_selector(ref)
    assert _canonical_types(ours["inputs"]) == _canonical_types(ref["inputs"])
    assert _canonical_types(ours["outputs"]) == _canonical_types(ref["outputs"])
    assert ours["stateMutability"] == ref["stateMutability"] == "nonpayable"
    # Field names, struct names (internalType) and field order, recursively.
    assert _normalise(ours) == _normalise(ref)


@pytest.mark.parametrize("name", sorted(EARLIER_FUNCTIONS))
def test_earlier_name_has_its_selector_and_todays_tuples(og_abi, name):
    selector, signature = EARLIER_FUNCTIONS[name]
    fn = _by_name(og_abi, "function")[name]
    assert f"{name}({','.join(_canonical_types(fn['inputs']))})" == signature
    assert "0x" + function_abi_to_4byte_selector(fn).hex() == selector
    today = _by_name(og_abi, "function")["runLLMCompletion"]
    assert _canonical_types(fn["inputs"]) == _canonical_types(today["inputs"])
    assert _canonical_types(fn["outputs"]) == _canonical_types(today["outputs"])


@pytest.mark.parametrize("name", sorted(DOCUMENTED_EVENT_TOPICS))
def test_event_matches_reference(og_abi, reference_abi, name):
    ours = _by_name(og_abi, "event")[name]
    ref = _by_name(reference_abi, "event")[name]

    assert event_abi_to_log_topic(ours) == event_abi_to_log_topic(ref)
    assert _canonical_types(ours["inputs"]) == _canonical_types(ref["inputs"])
    assert [p["indexed"] for p in ours["inputs"]] == [p["indexed"] for p in ref["inputs"]]
    assert not any(p["indexed"] for p in ours["inputs"])
    assert ours["anonymous"] is ref["anonymous"] is False
    assert _normalise(ours) == _normalise(ref)


@pytest.mark.parametrize("name", sorted(DOCUMENTED_FUNCTIONS))
def test_documented_selector(og_abi, name):
    selector, signature = DOCUMENTED_FUNCTIONS[name]
    fn = _by_name(og_abi, "function")[name]
    assert f"{name}({','.join(_canonical_types(fn['inputs']))})" == signature
    assert "0x" + function_abi_to_4byte_selector(fn).hex() == selector


@pytest.mark.parametrize("name", sorted(DOCUMENTED_EVENT_TOPICS))
def test_documented_topic0(og_abi, name):
    event = _by_name(og_abi, "event")[name]
    assert "0x" + event_abi_to_log_topic(event).hex() == DOCUMENTED_EVENT_TOPICS[name]


def test_enums_and_address(compiled):
    ast = compiled["sources"][OG_INFERENCE_SOURCE]["ast"]
    enums = {
        e["name"]: [m["name"] for m in e["members"]] for e in _ast_nodes(ast, "EnumDefinition")
    }
    assert enums == DOCUMENTED_ENUMS

    constants = {v["name"]: v for v in _ast_nodes(ast, "VariableDeclaration") if v.get("constant")}
    address = constants["OG_INFERENCE_ADDRESS"]["value"]
    assert int(address["value"], 16) == 0xF4
    assert "OG_INFERENCE_CONTRACT" in constants


def test_tensor_structs_live_in_tensorlib(og_abi):
    """Upstream declares the tensor types inside `library TensorLib`; internalTypes say so."""
    fn = _by_name(og_abi, "function")["runModelInference"]
    model_input = fn["inputs"][0]["components"][2]
    assert model_input["internalType"] == "struct ModelInput"
    assert [c["internalType"] for c in model_input["components"]] == [
        "struct TensorLib.MultiDimensionalNumberTensor[]",
        "struct TensorLib.StringTensor[]",
    ]


# --------------------------------------------------------------------------- consumers


def test_upstream_style_consumer_compiles_unchanged():
    """Only the consumer is given to solc: OGInference.sol is found through the remapping."""
    source = (REPO / UPSTREAM_CONSUMER_SOURCE).read_text()
    assert UPSTREAM_IMPORT in source
    out = _compile({UPSTREAM_CONSUMER_SOURCE: source}, ["abi", "evm.bytecode.object"])
    consumer = out["contracts"][UPSTREAM_CONSUMER_SOURCE]["UpstreamStyleConsumer"]
    assert consumer["evm"]["bytecode"]["object"]
    # the plugin serves the import from its copy of ogkit/solidity/ in contracts/.cache/
    assert "contracts/.cache/opengradient-neuroml/src/OGInference.sol" in out["sources"]
    assert {e["name"] for e in consumer["abi"] if e["type"] == "function"} == {
        "runZkmlModel",
        "modelCID",
        "resultNumber",
    }


EXAMPLES = {
    "UpstreamStyleConsumer": ("contracts/examples/UpstreamStyleConsumer.sol", ["runZkmlModel()"]),
    "VolatilityVault": (
        "contracts/examples/VolatilityVault.sol",
        [
            "rebalance()",
            "pushCandle(int128,int128,int128,int128)",
            "pushCandles((int128,int128,int128,int128)[])",
            "allocationForVolatility(int256)",
            "setInferenceMode(uint8)",
        ],
    ),
    "RiskLendingPool": (
        "contracts/examples/RiskLendingPool.sol",
        [
            "assess(((int128,int128),(int128,int128),(int128,int128),(int128,int128)))",
            "deposit()",
            "borrow(uint256)",
            "repay()",
            "withdraw(uint256)",
        ],
    ),
    "SentimentGate": ("contracts/examples/SentimentGate.sol", ["submit(string[])"]),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_contract(compiled, name):
    source_id, signatures = EXAMPLES[name]
    contract = _contract(compiled, source_id, name)
    runtime = contract["evm"]["deployedBytecode"]["object"]
    assert runtime and "__$" not in runtime, "no unlinked libraries"
    assert len(runtime) // 2 <= EIP170_LIMIT
    ours = {
        f"{f['name']}({','.join(_canonical_types(f['inputs']))})"
        for f in contract["abi"]
        if f["type"] == "function"
    }
    assert set(signatures) <= ours
    # Each example really calls the precompile's runModelInference (PUSH4 selector).
    assert "63" + DOCUMENTED_FUNCTIONS["runModelInference"][0][2:] in runtime
