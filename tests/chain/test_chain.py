"""The AI chain through eth-tester: ids, accounts, EIP-2929 warmth, resets, snapshots, gas.

Contracts here are a few hand-assembled bytes (no compiler needed).
"""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_account import Account
from eth_tester.exceptions import TransactionNotFound
from eth_utils import to_canonical_address

from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from precompiles.host import CallContext
from precompiles.inference.precompile import run

F4 = "0x00000000000000000000000000000000000000F4"
MNEMONIC = "test test test test test test test test test test test junk"
FIRST_ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # Ape / Hardhat / Anvil account 0
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
SELECTOR = bytes.fromhex("7289e9c2")


def demo_call(x0: int, x1: int = 1) -> bytes:
    """upstream_demo on (x0, x1): a small valid request."""
    return SELECTOR + encode(
        [REQUEST_TYPE], [(0, "upstream_demo", ([("input", [[x0, 0], [x1, 0]], [2])], []))]
    )


def tx_gas(data: bytes, execution: int) -> int:
    zeros = data.count(0)
    nonzeros = len(data) - zeros
    return max(21_000 + 4 * zeros + 16 * nonzeros + execution, 21_000 + 10 * (zeros + 4 * nonzeros))


class CountingBackend:
    """The real engine, counting how often the chain asks it for an inference."""

    def __init__(self, engine: InferenceEngine) -> None:
        self.engine = engine
        self.infer_calls = 0

    def resolve(self, model_id):
        return self.engine.resolve(model_id)

    def infer(self, model, mode, inputs, inference_id, context):
        self.infer_calls += 1
        return self.engine.infer(model, mode, inputs, inference_id, context)

    def __getattr__(self, name: str):  # any other backend method goes to the engine as is
        return getattr(self.engine, name)


@pytest.fixture
def engine(example_store: ModelStore) -> InferenceEngine:
    """A new engine per test (no cached results), over the module's store of the examples."""
    return InferenceEngine(example_store)


@pytest.fixture
def backend(engine: InferenceEngine) -> CountingBackend:
    return CountingBackend(engine)


@pytest.fixture
def tester(backend: CountingBackend):
    return new_tester(backend)


def send(tester, data: bytes, gas: int = 1_000_000, to: str | None = F4) -> dict:
    tx = {"from": tester.get_accounts()[0], "gas": gas, "data": "0x" + data.hex()}
    if to is not None:
        tx["to"] = to
    return tester.get_transaction_receipt(tester.send_transaction(tx))


def call(tester, data: bytes, to: str = F4) -> bytes:
    tx = {"from": tester.get_accounts()[0], "to": to, "gas": 1_000_000, "data": "0x" + data.hex()}
    return bytes.fromhex(tester.call(tx)[2:])


def signed(chain_id: int, nonce: int, data: bytes, index: int = 0) -> str:
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    tx = {
        "to": F4,
        "value": 0,
        "gas": 200_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 0,
        "nonce": nonce,
        "chainId": chain_id,
        "data": data,
    }
    return "0x" + Account.sign_transaction(tx, account.key).raw_transaction.hex()


# --- identity and accounts ------------------------------------------------------------------------


CHAIN_ID_CODE = bytes([0x46, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xF3])  # return CHAINID


def chain_id_in_evm(tester) -> int:
    return int.from_bytes(call(tester, b"", to=deploy(tester, CHAIN_ID_CODE)), "big")


def test_chain_id(tester, backend: CountingBackend) -> None:
    assert tester.backend.chain.chain_id == 1337
    assert chain_id_in_evm(tester) == 1337
    raw = signed(1337, tester.get_nonce(FIRST_ACCOUNT), demo_call(3))
    receipt = tester.get_transaction_receipt(tester.send_raw_transaction(raw))
    assert receipt["status"] == 1 and receipt["from"] == FIRST_ACCOUNT
    other = new_tester(backend, chain_id=10744)
    assert other.backend.chain.chain_id == 10744
    assert chain_id_in_evm(other) == 10744
    assert chain_id_in_evm(tester) == 1337  # each chain keeps its own id
    raw = signed(10744, other.get_nonce(FIRST_ACCOUNT), demo_call(3))
    assert other.get_transaction_receipt(other.send_raw_transaction(raw))["status"] == 1


def test_dev_accounts(tester) -> None:
    Account.enable_unaudited_hdwallet_features()
    expected = [
        Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").address
        for i in range(10)
    ]
    assert expected[0] == FIRST_ACCOUNT
    assert list(tester.get_accounts()) == expected
    assert [tester.get_balance(a) for a in expected] == [10_000 * 10**18] * 10


# --- EIP-2929: 0xF4 is warm -----------------------------------------------------------------------

# GAS; CALL(1_000_000, address = calldata word 0, no value, no data); GAS; -> g0 - g1, twice.
# Between the two GAS readings: 5 PUSH1 (15) + PUSH1 + CALLDATALOAD (6) + PUSH3 (3) + GAS (2)
# = 26, plus the CALL's access cost and the gas the callee used.
_MEASURE = bytes(
    [0x5A, 0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x35, 0x62, 0x0F, 0x42, 0x40]
    + [0xF1, 0x5A, 0x90, 0x50, 0x90, 0x03]
)
METER = _MEASURE + bytes([0x60, 0x00, 0x52]) + _MEASURE + bytes([0x60, 0x20, 0x52])
METER += bytes([0x60, 0x40, 0x60, 0x00, 0xF3])  # return both differences
OVERHEAD = 26


def deploy(tester, runtime: bytes) -> str:
    init = bytes([0x60, len(runtime), 0x80, 0x60, 11, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + runtime
    return send(tester, init, gas=300_000, to=None)["contract_address"]


def call_costs(tester, meter: str, address: int) -> tuple[int, int]:
    out = call(tester, address.to_bytes(32, "big"), to=meter)
    return int.from_bytes(out[:32], "big") - OVERHEAD, int.from_bytes(out[32:], "big") - OVERHEAD


def test_precompile_is_warm(tester) -> None:
    meter = deploy(tester, METER)
    # 0xF4 with empty calldata reverts after charging BASE (25,000): access cost 100 both times
    assert call_costs(tester, meter, 0xF4) == (100 + 25_000, 100 + 25_000)
    # a stock precompile for comparison: identity (0x04) costs 15 on empty input
    assert call_costs(tester, meter, 0x04) == (100 + 15, 100 + 15)
    # a plain address is cold first (2,600), then warm
    assert call_costs(tester, meter, 0xDEAD) == (2_600, 100)


# --- reset, snapshot, estimate --------------------------------------------------------------------


def test_reset_to_genesis_keeps_the_precompile(tester, engine: InferenceEngine) -> None:
    expected = call(tester, demo_call(2))
    assert send(tester, demo_call(2))["status"] == 1
    assert tester.get_block_by_number("latest")["number"] == 1
    tester.reset_to_genesis()
    assert tester.get_block_by_number("latest")["number"] == 0
    assert tester.backend.chain.chain_id == 1337
    assert tester.get_balance(FIRST_ACCOUNT) == 10_000 * 10**18
    assert call(tester, demo_call(2)) == expected
    receipt = send(tester, demo_call(2))
    assert receipt["status"] == 1 and [log["address"] for log in receipt["logs"]] == [F4]
    # and the stock precompiles are still there too (identity echoes its input)
    assert (
        call(tester, b"\x01\x02\x03", to="0x0000000000000000000000000000000000000004")
        == b"\x01\x02\x03"
    )


def test_reset_to_genesis_keeps_a_custom_chain_id(backend: CountingBackend) -> None:
    tester = new_tester(backend, chain_id=10744)
    send(tester, demo_call(4))
    tester.reset_to_genesis()
    assert tester.backend.chain.chain_id == 10744
    assert chain_id_in_evm(tester) == 10744
    assert send(tester, demo_call(4))["status"] == 1


def test_snapshot_revert_replays_without_running_the_model(
    tester, engine: InferenceEngine, backend: CountingBackend
) -> None:
    first = send(tester, demo_call(5))
    snapshot = tester.take_snapshot()
    second = send(tester, demo_call(6))
    assert first["status"] == second["status"] == 1
    runs, calls = engine.model_runs, backend.infer_calls
    assert runs == 2

    tester.revert_to_snapshot(snapshot)
    # the snapshot block is the head again without re-executing it (its state is kept by
    # root): 0xF4 does not run at all, let alone the model (eth-tester's revert re-ran it)
    assert backend.infer_calls == calls
    assert engine.model_runs == runs
    assert tester.get_block_by_number("latest")["number"] == first["block_number"]
    assert tester.get_transaction_receipt(first["transaction_hash"])["logs"] == first["logs"]
    with pytest.raises(TransactionNotFound):
        tester.get_transaction_receipt(second["transaction_hash"])


def test_estimate_gas_then_send(tester, engine: InferenceEngine) -> None:
    data = demo_call(7, 9)
    account = tester.get_accounts()[0]
    estimate = tester.estimate_gas({"from": account, "to": F4, "data": "0x" + data.hex()})
    runs = engine.model_runs
    receipt = send(tester, data, gas=estimate)
    assert receipt["status"] == 1
    assert engine.model_runs == runs  # estimation already recorded the result
    # the schedule is deterministic: exactly the receipt's gas is enough, one less is not
    sender = to_canonical_address(account)
    needed = run(data, CallContext(sender, sender, 2, 0, 10**7), engine).gas_used
    used = tx_gas(data, needed)
    assert receipt["gas_used"] == used <= estimate
    assert send(tester, data, gas=used)["status"] == 1
    failed = send(tester, data, gas=used - 1)
    assert failed["status"] == 0 and failed["gas_used"] == used - 1
