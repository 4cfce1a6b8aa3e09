"""Every 0xF4 call gets an inference id of its own (issue 12 item 7): two identical calls in
one transaction, and two identical transactions of one sender in one block, used to share
one, so their events named one id and their records overwrote each other. The id now also
holds the call's place: the sender's nonce and the call's index in the transaction.
(Two transactions in one block: tests/node/test_node_inference_ids.py, as eth-tester
mines one transaction per block.)"""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak, to_canonical_address

from og_examples.models import sample_input
from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.node.chain.records import decode_inference_event
from precompiles.fixed_point import from_array
from precompiles.inference.model_codec import encode_model_inference_request
from precompiles.inference.precompile import RUN_MODEL_INFERENCE
from precompiles.inference.types import ModelInferenceRequest, ModelInput, NumberTensor

F4 = "0x00000000000000000000000000000000000000f4"
# CALLDATACOPY(0, 0, size); twice: POP(CALL(GAS, 0xF4, 0, 0, size, 0, 0)); STOP
TWICE = bytes.fromhex("366000600037" + "60006000366000600060f45af150" * 2 + "00")


def deploy(tester, runtime: bytes) -> str:
    # PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime
    init = bytes.fromhex(f"60{len(runtime):02x}80600b6000396000f3") + runtime
    account = tester.get_accounts()[0]
    tx = tester.send_transaction({"from": account, "data": "0x" + init.hex(), "gas": 500_000})
    return tester.get_transaction_receipt(tx)["contract_address"]


@pytest.fixture(scope="module")
def engine(example_store) -> InferenceEngine:
    return InferenceEngine(example_store)


@pytest.fixture
def tester(engine):
    return new_tester(engine)


def request_calldata() -> bytes:
    ((name, array),) = sample_input("credit_risk").items()
    tensor = NumberTensor(name, from_array(array), tuple(array.shape))
    request = ModelInferenceRequest(0, "credit_risk", ModelInput((tensor,)))
    return RUN_MODEL_INFERENCE + encode_model_inference_request(request)


def ids_of(receipt) -> list[str]:
    return [
        decode_inference_event(bytes.fromhex(log["data"][2:])).inference_id
        for log in receipt["logs"]
        if log["address"].lower() == F4
    ]


def expected_id(block: int, origin: str, nonce: int, sender: str, index: int, data: bytes, engine):
    model_hash = engine.resolve("credit_risk").model_hash
    return keccak(
        encode(
            ["uint256", "address", "uint256", "address", "uint256", "bytes32", "bytes32"],
            [block, origin, nonce, sender, index, model_hash, keccak(data[4:])],
        )
    ).hex()


def test_two_identical_calls_in_one_transaction_get_two_ids(tester, engine) -> None:
    proxy = deploy(tester, TWICE)
    account = tester.get_accounts()[0]
    data = request_calldata()
    tx = tester.send_transaction(
        {"from": account, "to": proxy, "data": "0x" + data.hex(), "gas": 3_000_000}
    )
    receipt = tester.get_transaction_receipt(tx)
    assert receipt["status"] == 1
    first, second = ids_of(receipt)
    nonce = tester.get_nonce(account)  # as the EVM left it during the transaction
    block = receipt["block_number"]
    origin, sender = to_canonical_address(account), to_canonical_address(proxy)
    assert first == expected_id(block, origin, nonce, sender, 0, data, engine)
    assert second == expected_id(block, origin, nonce, sender, 1, data, engine)
    assert first != second
    assert engine.records[first].block_number == engine.records[second].block_number == block
    assert engine.records[first].output_hash == engine.records[second].output_hash
