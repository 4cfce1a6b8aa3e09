"""0xF4's compute gas through the chain (issue 12, item 1): a model that computes for tens of
milliseconds pays for it, and `eth_estimateGas` is exactly what the transaction needs."""

from __future__ import annotations

import onnx
import pytest
from eth_abi import encode
from eth_utils import to_canonical_address

from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models import stress
from ogkit.models.cost import model_cost
from ogkit.models.store import ModelStore
from precompiles import gas
from precompiles.host import CallContext
from precompiles.inference.precompile import run

F4 = "0x00000000000000000000000000000000000000F4"
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
SELECTOR = bytes.fromhex("7289e9c2")
LOOP = stress.loop_matmul(10)  # ten 512 x 512 MatMuls: ~20-40 ms


def loop_call() -> bytes:
    return SELECTOR + encode([REQUEST_TYPE], [(0, "loop10", ([("bias", [[0, 0]], [1])], []))])


def tx_gas(data: bytes, execution: int) -> int:
    zeros = data.count(0)
    nonzeros = len(data) - zeros
    return max(21_000 + 4 * zeros + 16 * nonzeros + execution, 21_000 + 10 * (zeros + 4 * nonzeros))


@pytest.fixture
def engine(tmp_path) -> InferenceEngine:
    store = ModelStore(tmp_path / "store")
    store.add(LOOP, "loop10")
    return InferenceEngine(store)


def test_estimate_equals_execution_with_compute_gas(engine: InferenceEngine) -> None:
    tester = new_tester(engine)
    account = tester.get_accounts()[0]
    data = loop_call()
    estimate = tester.estimate_gas({"from": account, "to": F4, "data": "0x" + data.hex()})
    sender = to_canonical_address(account)
    execution = run(data, CallContext(sender, sender, 2, 0, 10**7), engine).gas_used
    cost = model_cost(onnx.load_from_string(LOOP), {"bias": (1,)})
    compute = gas.compute_gas(cost.macs, cost.bytes_moved, cost.large_bytes, cost.nodes)
    assert compute == 69_503  # 1,342,439,424 MACs, 36,700,278 bytes, 29 node runs
    assert compute > 60_000
    used = tx_gas(data, execution)
    tx = {"from": account, "to": F4, "gas": used, "data": "0x" + data.hex()}
    receipt = tester.get_transaction_receipt(tester.send_transaction(tx))
    assert receipt["status"] == 1 and receipt["gas_used"] == used
    assert used <= estimate  # eth-tester pads its estimate; the node test checks equality
    short = {**tx, "gas": used - 1}
    failed = tester.get_transaction_receipt(tester.send_transaction(short))
    assert failed["status"] == 0  # exactly the priced gas is needed: compute is in it
