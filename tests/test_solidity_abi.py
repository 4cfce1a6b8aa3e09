"""The Solidity side matches OpenGradient's published 0xF4 interface byte for byte.

Compiles ``contracts/`` with py-solc-x's ``compile_standard`` through the offline solc-js
wrapper (``.solcx/solc-v0.8.28``, installed by ``make toolchain``), using the same settings
as ``ape-config.yaml`` (evm version, optimizer, import remapping), then compares the
``OGInference`` interface with ``shared/reference/abi/InferencePrecompile.abi.json``.

No chain or node is needed. The behaviour tests at the end run in an in-process py-evm
(eth-tester) with a Solidity *stub* at 0xF4 that answers by model id: they check TensorLib,
the examples' input tensors and their state transitions on a model result, not the real
precompile (the precompile package has its own tests).
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

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = REPO / "contracts"
SOLC_VERSION = "0.8.28"
# CI clones the repository next to `shared/`, so resolve it from this file, not from /work.
REFERENCE_ABI_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "abi"
REFERENCE_ABI = REFERENCE_ABI_DIR / "InferencePrecompile.abi.json"

OG_INFERENCE_SOURCE = "contracts/opengradient/OGInference.sol"
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
DOCUMENTED_EVENT_TOPICS = {
    "ModelInferenceEvent": "0x1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87",
    "LLMCompletionEvent": "0x51fe69d513d73ecde3fa3bf17584f7d2acfd5f0b13d367e898d6e11e742127a3",
    "LLMChat": "0x4c92d3df7819fcd1c9f9663332f0a599a65eefdad2eaf9193cffb9dbf1919c3b",
}
DOCUMENTED_ENUMS = {
    "ModelInferenceMode": ["VANILLA", "ZK", "TEE"],
    "LLMInferenceMode": ["VANILLA", "TEE"],
}


# --------------------------------------------------------------------------- helpers


def _solc_binary() -> Path:
    os.environ.setdefault("SOLCX_BINARY_PATH", str(REPO / ".solcx"))
    binary = Path(os.environ["SOLCX_BINARY_PATH"]) / f"solc-v{SOLC_VERSION}"
    if not binary.is_file():
        pytest.skip(
            f"{binary} is missing: run `make toolchain` (copies tools/solc-wrapper.sh there; "
            "needs node_modules/solc from `npm ci`)"
        )
    return binary


def _ape_solidity_config() -> dict[str, Any]:
    config = yaml.safe_load((REPO / "ape-config.yaml").read_text()) or {}
    return config.get("solidity") or {}


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
        for p in sorted(CONTRACTS.rglob("*.sol"))
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
    for kind in ("function", "event"):
        assert sorted(_by_name(og_abi, kind)) == sorted(_by_name(reference_abi, kind)), kind
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
    assert "contracts/opengradient/OGInference.sol" in out["sources"]
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


# --------------------------------------------------------------------------- behaviour (py-evm)
#
# An in-process py-evm (eth-tester), no node. 0xF4 holds `StubOGInference`, a test double that
# answers by model id with fixed outputs: enough to run the examples' state transitions. The
# real precompile and its models are tested elsewhere.

HARNESS_SOURCE_ID = "tests/TensorLibHarness.sol"
HARNESS = r"""
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;
import "opengradient-neuroml/src/OGInference.sol";
import {ModelOutputs} from "contracts/examples/ModelOutputs.sol";

contract TensorLibHarness {
    function oneD(TensorLib.Number[] memory values)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        return TensorLib.numberTensor1D("x", values);
    }

    function twoD(TensorLib.Number[][] memory rows)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        return TensorLib.numberTensor2D("m", rows);
    }

    function nd(uint32[] memory dims)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        return TensorLib.numberTensorND("z", dims);
    }

    function get(TensorLib.MultiDimensionalNumberTensor memory t, uint32[] memory idx)
        external pure returns (TensorLib.Number memory)
    {
        return TensorLib.getValue(t, idx);
    }

    function set1(uint32 i)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory d = new uint32[](1);
        d[0] = 3;
        t = TensorLib.numberTensorND("a", d);
        TensorLib.setValue(t, i, TensorLib.Number(11, 1));
    }

    function set2(uint32 i, uint32 j)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory d = new uint32[](2);
        d[0] = 2;
        d[1] = 3;
        t = TensorLib.numberTensorND("b", d);
        TensorLib.setValue(t, i, j, TensorLib.Number(22, 2));
    }

    function set3(uint32 i, uint32 j, uint32 k)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory d = new uint32[](3);
        d[0] = 2;
        d[1] = 3;
        d[2] = 4;
        t = TensorLib.numberTensorND("c", d);
        TensorLib.setValue(t, i, j, k, TensorLib.Number(33, 3));
    }

    function setN(uint32[] memory dims, uint32[] memory idx)
        external pure returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        t = TensorLib.numberTensorND("n", dims);
        TensorLib.setValue(t, idx, TensorLib.Number(-44, 0));
    }

    function toWad(TensorLib.Number memory n) external pure returns (int256) {
        return ModelOutputs.toWad(n);
    }
}

/// Test double for 0xF4 (not the real precompile): fixed answers keyed by model id, after
/// checking that the caller sent the documented input tensor.
contract StubOGInference {
    function runModelInference(ModelInferenceRequest memory request)
        external returns (ModelOutput memory out)
    {
        bytes32 id = keccak256(bytes(request.modelCID));
        if (id == keccak256("simulate")) {
            out.is_simulation_result = true;
            return out;
        }
        if (id == keccak256("vol-model") || id == keccak256("vol-negative")) {
            _expect(request, "open_high_low_close", 10, 4);
            out.numbers = new TensorLib.MultiDimensionalNumberTensor[](2);
            out.numbers[0] = _tensor("decoy", 99, 0);  // lookup must be by name, not index
            int128 vol = id == keccak256("vol-model") ? int128(123) : int128(-1);  // 0.0123
            out.numbers[1] = _tensor("volatility", vol, 4);
            return out;
        }
        if (id == keccak256("risk-model")) {
            _expect(request, "features", 1, 4);
            int128 age = request.input.numbers[0].values[3].value;  // account_age_years
            string memory label = age >= 5 ? "low" : (age >= 2 ? "medium" : "high");
            TensorLib.Number[] memory p = new TensorLib.Number[](3);
            p[0] = TensorLib.Number(age >= 5 ? int128(80) : int128(10), 2);
            p[1] = TensorLib.Number(15, 2);
            p[2] = TensorLib.Number(age >= 5 ? int128(5) : int128(75), 2);
            uint32[] memory shape = new uint32[](2);
            shape[0] = 1;
            shape[1] = 3;
            out.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
            out.numbers[0] = TensorLib.MultiDimensionalNumberTensor("probabilities", p, shape);
            string[] memory labels = new string[](1);
            labels[0] = label;
            out.strings = new TensorLib.StringTensor[](1);
            out.strings[0] = TensorLib.StringTensor("label", labels);
            return out;
        }
        if (id == keccak256("sentiment")) {
            TensorLib.StringTensor memory text = request.input.strings[0];
            require(keccak256(bytes(text.name)) == keccak256("text"), "stub: input name");
            bool good = keccak256(bytes(text.values[0])) == keccak256("good");
            out.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
            out.numbers[0] = _tensor("score", good ? int128(8) : int128(-5), 1);
            return out;
        }
        if (id == keccak256("upstream")) {
            require(request.mode == ModelInferenceMode.ZK, "stub: mode");
            require(request.input.numbers[0].values.length == 2, "stub: input");
            out.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
            out.numbers[0] = _tensor("output", 42, 2);
            return out;
        }
        revert("stub: unknown model");
    }

    function _expect(ModelInferenceRequest memory r, string memory name, uint32 a, uint32 b)
        private pure
    {
        require(r.input.numbers.length == 1 && r.input.strings.length == 0, "stub: tensors");
        TensorLib.MultiDimensionalNumberTensor memory x = r.input.numbers[0];
        require(keccak256(bytes(x.name)) == keccak256(bytes(name)), "stub: input name");
        require(x.shape.length == 2 && x.shape[0] == a && x.shape[1] == b, "stub: shape");
        require(x.values.length == uint256(a) * b, "stub: value count");
    }

    function _tensor(string memory name, int128 value, int128 decimals)
        private pure returns (TensorLib.MultiDimensionalNumberTensor memory)
    {
        TensorLib.Number[] memory v = new TensorLib.Number[](1);
        v[0] = TensorLib.Number(value, decimals);
        return TensorLib.numberTensor1D(name, v);
    }
}
"""

OG_INFERENCE_ADDRESS = "0x00000000000000000000000000000000000000F4"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def evm(compiled):
    pytest.importorskip("eth_tester")
    from eth_tester import EthereumTester, PyEVMBackend
    from eth_utils import to_canonical_address
    from web3 import EthereumTesterProvider, Web3

    harness = _compile(
        {HARNESS_SOURCE_ID: HARNESS}, ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]
    )
    harness = harness["contracts"][HARNESS_SOURCE_ID]
    stub_code = bytes.fromhex(harness["StubOGInference"]["evm"]["deployedBytecode"]["object"])

    genesis = PyEVMBackend.generate_genesis_state(num_accounts=10)
    genesis[to_canonical_address(OG_INFERENCE_ADDRESS)] = {
        "balance": 0,
        "nonce": 0,
        "code": stub_code,
        "storage": {},
    }
    tester = EthereumTester(PyEVMBackend(genesis_state=genesis))
    w3 = Web3(EthereumTesterProvider(tester))
    w3.eth.default_account = w3.eth.accounts[0]

    def deploy(contract: dict | str, *args):
        if isinstance(contract, str):  # an example's name
            contract = _contract(compiled, EXAMPLES[contract][0], contract)
        factory = w3.eth.contract(
            abi=contract["abi"], bytecode=contract["evm"]["bytecode"]["object"]
        )
        receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact())
        return w3.eth.contract(address=receipt.contractAddress, abi=contract["abi"])

    return {
        "w3": w3,
        "deploy": deploy,
        "harness": deploy(harness["TensorLibHarness"]),
        "vault": deploy("VolatilityVault", "vol-model", w3.eth.accounts[1]),
        "pool": deploy("RiskLendingPool", "risk-model"),
    }


def _transact(w3, fn, **tx):
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact(tx or None))
    assert receipt.status == 1
    return receipt


def _reverts_with(fn, message: str = "", **tx):
    # web3 raises ContractLogicError, eth-tester's provider TransactionFailed: accept both.
    with pytest.raises(Exception) as info:
        fn.call(tx or None)
    assert "revert" in str(info.value).lower()
    assert message in str(info.value)


def _plain(value: Any) -> Any:
    """web3 returns structs as tuples; compare as nested lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def test_tensorlib_constructors(evm):
    h = evm["harness"]
    assert _plain(h.functions.oneD([(1, 0), (15, 1)]).call()) == ["x", [[1, 0], [15, 1]], [2]]
    rows = [[(1, 0), (2, 0), (3, 0)], [(4, 0), (5, 0), (6, 0)]]
    name, values, shape = h.functions.twoD(rows).call()
    assert (name, shape) == ("m", [2, 3])
    assert values == [(i, 0) for i in range(1, 7)]  # row-major
    _reverts_with(h.functions.twoD([]), "Empty tensor")
    _reverts_with(h.functions.twoD([[(1, 0)], [(2, 0), (3, 0)]]), "Tensor is not rectangular")
    assert _plain(h.functions.nd([2, 3, 4]).call()) == ["z", [[0, 0]] * 24, [2, 3, 4]]
    _reverts_with(h.functions.nd([]), "Empty shape")
    _reverts_with(h.functions.nd([2, 0]), "Dimension must be positive")


def test_tensorlib_set_and_get(evm):
    h = evm["harness"]
    t = h.functions.set1(2).call()
    assert t[1][2] == (11, 1)
    t = h.functions.set2(1, 2).call()
    assert t[1].index((22, 2)) == 1 * 3 + 2
    t = h.functions.set3(1, 2, 3).call()
    assert t[1].index((33, 3)) == (1 * 3 + 2) * 4 + 3
    t = h.functions.setN([2, 2, 2, 2], [1, 0, 1, 1]).call()
    assert t[1].index((-44, 0)) == 0b1011
    assert h.functions.get(t, [1, 0, 1, 1]).call() == (-44, 0)
    for bad in ([2, 0, 0, 0], [0, 0, 0], [0, 0, 0, 0, 0]):
        _reverts_with(h.functions.get(t, bad), "Index out of bounds")
    _reverts_with(h.functions.set2(2, 0), "Index out of bounds")
    _reverts_with(h.functions.set1(3), "Index out of bounds")
    # A malformed (model-supplied) shape that claims more values than there are.
    _reverts_with(h.functions.get(["bad", [(1, 0)], [4]], [3]), "Index out of bounds")


def test_to_wad(evm):
    h = evm["harness"]
    assert h.functions.toWad((123, 4)).call() == 123 * 10**14  # 0.0123
    assert h.functions.toWad((5, 0)).call() == 5 * 10**18
    assert h.functions.toWad((-15, 1)).call() == -15 * 10**17
    assert h.functions.toWad((7286679744720459, 17)).call() == 72866797447204590
    assert h.functions.toWad((123456789, 20)).call() == 1234567  # truncates past 18
    assert h.functions.toWad((10**30, 80)).call() == 0


def test_volatility_allocation_rule(evm):
    vault = evm["vault"].functions
    wad = 10**18
    assert vault.allocationForVolatility(0).call() == 10_000
    assert vault.allocationForVolatility(-1).call() == 10_000
    assert vault.allocationForVolatility(123 * wad // 10_000).call() == 8_032  # 1.23%
    assert vault.allocationForVolatility(25 * wad // 1_000).call() == 6_000  # 2.5%
    assert vault.allocationForVolatility(5 * wad // 100).call() == 2_000
    assert vault.allocationForVolatility(wad).call() == 2_000
    assert vault.riskyAllocationBps().call() == 10_000
    assert vault.inferenceMode().call() == 0  # VANILLA by default


def test_volatility_input_tensor(evm):
    w3, vault = evm["w3"], evm["vault"]
    keeper = w3.eth.accounts[1]
    _reverts_with(vault.functions.rebalance())  # NotEnoughCandles before 10 candles
    base = 3000 * 10**8
    candles = [(base + i, base + i + 50, base + i - 50, base + i + 10) for i in range(12)]
    w3.eth.wait_for_transaction_receipt(
        vault.functions.pushCandles(candles[:11]).transact({"from": keeper})
    )
    w3.eth.wait_for_transaction_receipt(vault.functions.pushCandle(*candles[11]).transact())
    assert vault.functions.candleCount().call() == 12
    assert [tuple(c) for c in vault.functions.candles().call()] == candles[2:]

    name, values, shape = vault.functions.ohlcTensor().call()
    assert (name, shape) == ("open_high_low_close", [10, 4])
    flat = [(v, 8) for candle in candles[2:] for v in candle]  # oldest first, row-major
    assert values == flat

    # high below close; then neither keeper nor owner
    _reverts_with(vault.functions.pushCandle(base, base, base - 1, base + 1), **{"from": keeper})
    _reverts_with(vault.functions.pushCandle(*candles[0]), **{"from": w3.eth.accounts[2]})


def test_risk_pool_features_and_labels(evm):
    pool = evm["pool"].functions
    features = ((15000, 4), (42, 2), (35, 2), (3, 0))
    assert _plain(pool.featureTensor(features).call()) == ["features", _plain(features), [1, 4]]
    # decimals above the node's cap of 18
    _reverts_with(pool.featureTensor(((1, 19), (0, 0), (0, 0), (0, 0))))
    assert [pool.riskClassOf(x).call() for x in ("low", "medium", "high")] == [1, 2, 3]
    assert [pool.factorFor(c).call() for c in range(4)] == [0, 8_000, 6_000, 0]
    _reverts_with(pool.riskClassOf("LOW"))


def _ohlc(n: int, base: int = 3000 * 10**8) -> list[tuple[int, int, int, int]]:
    return [(base + i, base + i + 50, base + i - 50, base + i + 10) for i in range(n)]


def test_volatility_vault_rebalance(evm):
    w3, vault = evm["w3"], evm["deploy"]("VolatilityVault", "vol-model", ZERO_ADDRESS)
    _transact(w3, vault.functions.pushCandles(_ohlc(10)))
    assert vault.functions.rebalance().call() is True
    receipt = _transact(w3, vault.functions.rebalance())

    f = vault.functions
    assert (f.forecastValue().call(), f.forecastDecimals().call()) == (123, 4)
    assert f.forecastVolWad().call() == 123 * 10**14
    assert f.riskyAllocationBps().call() == 8_032
    assert f.rebalanceCount().call() == 1
    (event,) = vault.events.Rebalanced().process_receipt(receipt)
    assert event.args.previousRiskyBps == 10_000 and event.args.riskyBps == 8_032
    assert event.args.volatilityWad == 123 * 10**14


def test_volatility_vault_ignores_simulation_and_rejects_negative(evm):
    w3, deploy = evm["w3"], evm["deploy"]
    sim = deploy("VolatilityVault", "simulate", ZERO_ADDRESS)
    _transact(w3, sim.functions.pushCandles(_ohlc(10)))
    assert sim.functions.rebalance().call() is False
    receipt = _transact(w3, sim.functions.rebalance())
    assert receipt.logs == []
    assert sim.functions.rebalanceCount().call() == 0
    assert sim.functions.riskyAllocationBps().call() == 10_000

    negative = deploy("VolatilityVault", "vol-negative", ZERO_ADDRESS)
    _transact(w3, negative.functions.pushCandles(_ohlc(10)))
    _reverts_with(negative.functions.rebalance())


def test_risk_lending_pool_flow(evm):
    w3, pool = evm["w3"], evm["deploy"]("RiskLendingPool", "risk-model")
    alice = w3.eth.accounts[3]
    eth = 10**18
    f = pool.functions

    _transact(w3, f.deposit(), **{"from": alice, "value": 10 * eth})
    _reverts_with(f.borrow(eth), **{"from": alice})  # not assessed yet

    low = ((15000, 4), (42, 2), (35, 2), (10, 0))  # 10-year-old account -> stub says "low"
    receipt = _transact(w3, f.assess(low), **{"from": alice})
    (event,) = pool.events.Assessed().process_receipt(receipt)
    assert (event.args.riskClass, event.args.collateralFactorBps) == (1, 8_000)
    # collateral, debt, factor, class, P(high) as (value, decimals) and wad: 0.05
    account = _plain(f.accounts(alice).call())
    assert account[:7] == [10 * eth, 0, 8_000, 1, 5, 2, 5 * 10**16]

    _reverts_with(f.borrow(8 * eth + 1), **{"from": alice})
    before = w3.eth.get_balance(alice)
    receipt = _transact(w3, f.borrow(8 * eth), **{"from": alice})
    gas = receipt.gasUsed * receipt.effectiveGasPrice
    assert w3.eth.get_balance(alice) == before + 8 * eth - gas
    assert f.totalDebt().call() == 8 * eth
    _reverts_with(f.withdraw(1), **{"from": alice})  # would leave debt > limit

    before = w3.eth.get_balance(alice)
    receipt = _transact(w3, f.repay(), **{"from": alice, "value": 9 * eth})
    gas = receipt.gasUsed * receipt.effectiveGasPrice
    assert w3.eth.get_balance(alice) == before - 8 * eth - gas  # 1 ETH excess refunded
    (event,) = pool.events.Repaid().process_receipt(receipt)
    assert (event.args.amount, event.args.debt) == (8 * eth, 0)

    young = ((15000, 4), (42, 2), (35, 2), (0, 0))  # brand-new account -> "high"
    _transact(w3, f.assess(young), **{"from": alice})
    assert _plain(f.accounts(alice).call())[2:4] == [0, 3]  # factor 0, HIGH
    _reverts_with(f.borrow(1), **{"from": alice})
    _transact(w3, f.withdraw(10 * eth), **{"from": alice})
    assert w3.eth.get_balance(pool.address) == 0


def test_sentiment_gate(evm):
    w3, gate = evm["w3"], evm["deploy"]("SentimentGate", "sentiment")
    bob, carol = w3.eth.accounts[4], w3.eth.accounts[5]
    _transact(w3, gate.functions.submit(["good", "morning"]), **{"from": bob})
    _transact(w3, gate.functions.submit(["bad", "news"]), **{"from": carol})
    assert gate.functions.isPositive(bob).call() is True
    assert gate.functions.isPositive(carol).call() is False
    assert _plain(gate.functions.verdicts(carol).call())[:3] == [-5, 1, False]
    _reverts_with(gate.functions.submit([]))


def test_upstream_style_consumer_runs(evm):
    w3, consumer = evm["w3"], evm["deploy"]("UpstreamStyleConsumer", "upstream")
    _transact(w3, consumer.functions.runZkmlModel())
    assert _plain(consumer.functions.resultNumber().call()) == [42, 2]
