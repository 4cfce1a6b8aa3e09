"""`eth_call` / `eth_estimateGas` state overrides (geth's third parameter): a call with an
override returns what the same call returns once that state is really set."""

from __future__ import annotations

import pytest
from eth_abi import decode
from node_support import RpcFailure, web3_artifact

SELF_BALANCE = "0x3031" + "5f52" + "60205ff3"  # ADDRESS BALANCE PUSH0 MSTORE; return 32 bytes
SLOT = {  # PUSHn slot SLOAD PUSH0 MSTORE; return 32 bytes
    0: "0x5f54" + "5f52" + "60205ff3",
    1: "0x600154" + "5f52" + "60205ff3",
}


def word(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def fresh(seed: int) -> str:
    return "0x" + f"{0xC0DE0000 + seed:040x}"


def call(node, to: str, data: str = "0x", overrides=None, method="eth_call"):
    params = [{"to": to, "data": data}, "latest"]
    if overrides is not None:
        params.append(overrides)
    return node.rpc(method, *params)


def test_code_and_balance_overrides_match_the_real_state(node):
    target = fresh(1)
    overridden = call(node, target, overrides={target: {"code": SELF_BALANCE, "balance": "0x2a"}})
    node.rpc("anvil_setCode", target, SELF_BALANCE)
    node.rpc("anvil_setBalance", target, "0x2a")
    assert overridden == call(node, target) == word(42)


def test_state_replaces_storage_and_state_diff_patches_it(node):
    target = fresh(2)
    node.rpc("anvil_setCode", target, SLOT[1])
    node.rpc("anvil_setStorageAt", target, word(1), word(9))
    assert call(node, target) == word(9)
    patched = {target: {"stateDiff": {word(0): word(5)}}}
    assert call(node, target, overrides=patched) == word(9)  # slot 1 kept
    replaced = {target: {"state": {word(0): word(5)}}}
    assert call(node, target, overrides=replaced) == word(0)  # slot 1 gone with the rest
    assert call(node, target) == word(9)  # nothing was written


def test_an_inference_through_overridden_code(node, w3, project):
    abi, _ = web3_artifact(project, "InferenceProbe")
    runtime = project.InferenceProbe.contract_type.runtime_bytecode.bytecode
    request = (0, "upstream_demo", ([("input", [(5, 1), (-25, 2)], [2])], []))
    data = w3.eth.contract(abi=abi).encode_abi("infer", [request])
    target = fresh(3)

    overridden = call(node, target, data, overrides={target: {"code": runtime}})
    gas_overridden = call(node, target, data, {target: {"code": runtime}}, "eth_estimateGas")
    node.rpc("anvil_setCode", target, runtime)

    assert overridden == call(node, target, data)
    assert gas_overridden == call(node, target, data, method="eth_estimateGas")
    ((_, number, _), *_), _, _, simulated = decode(
        ["((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"],
        bytes.fromhex(overridden[2:]),
    )[0]
    assert number == ((1375, 3),) and simulated is False  # 2 * 0.5 - 0.5 * -0.25 + 0.25


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({fresh(4): {"state": {}, "stateDiff": {}}}, "has both 'state' and 'stateDiff'"),
        ({fresh(4): {"bogus": 1}}, "unknown field 'bogus'"),
        ({"0x12": {"balance": "0x1"}}, "expected 20 bytes"),
        ({fresh(4): {"balance": "0xzz"}}, "invalid hex quantity"),
        ({fresh(4): {"state": {"0x01": word(1)}}}, "expected 32 bytes"),
        ([], "expected an object of address -> override"),
        ({fresh(i): {} for i in range(1_001)}, "1001 accounts exceed 1000"),
    ],
)
def test_malformed_overrides_are_refused(node, overrides, message):
    with pytest.raises(RpcFailure) as refused:
        call(node, fresh(5), overrides=overrides)
    assert refused.value.code == -32602 and message in refused.value.message
    assert node.rpc("eth_chainId") == "0x539"
