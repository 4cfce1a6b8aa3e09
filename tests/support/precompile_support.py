"""Helpers of the 0xF4 precompile tests (tests/unit/precompile/): the ABI types and selectors,
the SDK's number rule and the gas schedule written out again, calldata builders, a few extra
tiny ONNX models the examples cannot stand in for (an int8 input, an output over the size cap,
a NaN output), and `Env`: the example store, an engine and an eth-tester chain with proxies
that CALL/STATICCALL 0xF4. Expected values are recomputed here from the reference rules, not
taken from the code under test."""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from eth_abi import encode
from eth_utils import keccak
from onnx import TensorProto, helper, numpy_helper

from og_examples.models import EXAMPLES, UPSTREAM_DEMO_ALIAS, build_examples, sample_input
from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.models.store import ModelStore
from precompiles import limits
from precompiles.host import CallContext
from precompiles.inference.types import (
    ModelInferenceRequest,
    ModelInput,
    NumberTensor,
    StringTensor,
)

F4 = "0x00000000000000000000000000000000000000F4"
F4_BYTES = bytes(19) + b"\xf4"
SELECTOR = bytes.fromhex("7289e9c2")
LLM_COMPLETION = bytes.fromhex("14800c61")
TOPIC = 0x1B283AF3452F3718585CE100F80D9AA81FC60924DB4A582A36DB6AAE3B109D87
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
INPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[])"
OUTPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
SENDER = bytes.fromhex("11" * 20)
ORIGIN = bytes.fromhex("22" * 20)
BLOCK = 7
PLENTY = 50_000_000

# The schedule documented in precompiles/gas.py, written out again.
G_BASE, G_IN, G_OUT, G_BYTE, G_KIB, G_LOG, G_TOPIC, G_LOG_BYTE = 25_000, 50, 50, 4, 10, 375, 375, 8
ORT_STRING_NORMALIZER_ERROR = (
    "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Non-zero status code returned while running "
    "StringNormalizer node. Name:'' Status Message: Single dimension value must be greater than 0"
)


# --- independent helpers --------------------------------------------------------------------------


def sdk_number(x: np.generic) -> tuple[int, int]:
    """Reference §6: normalise Decimal(str(x)); digits are value, -exponent is decimals."""
    with localcontext() as ctx:
        ctx.prec = 400
        d = Decimal(str(x)).normalize()
        exponent = d.as_tuple().exponent
        decimals = -exponent if exponent < 0 else 0
        return int(d.scaleb(decimals)), decimals


def numbers_of(array: np.ndarray) -> tuple[tuple[int, int], ...]:
    return tuple(sdk_number(x) for x in np.asarray(array).reshape(-1))


def input_of(feeds: dict[str, np.ndarray]) -> ModelInput:
    numbers, strings = [], []
    for name, array in feeds.items():
        if array.dtype == object:
            strings.append(StringTensor(name, tuple(str(s) for s in array.reshape(-1))))
        else:
            numbers.append(NumberTensor(name, numbers_of(array), tuple(array.shape)))
    return ModelInput(tuple(numbers), tuple(strings))


def input_abi(model_input: ModelInput) -> tuple:
    return (
        [(t.name, [list(v) for v in t.values], list(t.shape)) for t in model_input.numbers],
        [(t.name, list(t.values)) for t in model_input.strings],
    )


def request_abi(request: ModelInferenceRequest) -> tuple:
    return (request.mode, request.model_cid, input_abi(request.input))


def calldata(request: ModelInferenceRequest) -> bytes:
    return SELECTOR + encode([REQUEST_TYPE], [request_abi(request)])


def request(model: str, model_input: ModelInput, mode: int = 0) -> bytes:
    return calldata(ModelInferenceRequest(mode, model, model_input))


def error_data(reason: str) -> bytes:
    return bytes.fromhex("08c379a0") + encode(["string"], [reason])


def expected_output(outputs: list[tuple[str, np.ndarray]]) -> tuple:
    """onnxruntime outputs -> ModelOutput ABI values by the SDK rule, in the model's order."""
    numbers, strings = [], []
    for name, array in outputs:
        if array.dtype == object:
            strings.append((name, [str(s) for s in array.reshape(-1)]))
        else:
            numbers.append((name, [list(n) for n in numbers_of(array)], list(array.shape)))
    return (numbers, strings, [], False)


def inference_id(
    block: int,
    origin: bytes,
    sender: bytes,
    model_file: bytes,
    req: ModelInferenceRequest,
    origin_nonce: int = 0,
    call_index: int = 0,
) -> str:
    """keccak(abi.encode(block, origin, origin nonce, sender, call index, model hash,
    keccak(calldata))): the origin's nonce as the EVM left it (the transaction's + 1) and
    the call's place among the transaction's precompile calls."""
    request_hash = keccak(calldata(req)[4:])
    payload = encode(
        ["uint256", "address", "uint256", "address", "uint256", "bytes32", "bytes32"],
        [
            block,
            origin,
            origin_nonce,
            sender,
            call_index,
            hashlib.sha256(model_file).digest(),
            request_hash,
        ],
    )
    return keccak(payload).hex()


def input_gas(model_input: ModelInput) -> int:
    elements = sum(len(t.values) for t in model_input.numbers)
    elements += sum(len(t.values) for t in model_input.strings)
    string_bytes = sum(len(s.encode()) for t in model_input.strings for s in t.values)
    return G_IN * elements + G_BYTE * string_bytes


COMPUTE_GAS = {"volatility": 50, "credit_risk": 14, "sentiment": 31, "upstream_demo": 14}
"""0xF4's compute term for each example's sample input: `gas.compute_gas` of the static costs
pinned in tests/unit/test_compute_gas.py (e.g. volatility: 341 multiply-adds, 2,252 bytes
moved, 16 nodes -> 1 + 1 + 0 + 3 * 16 = 50)."""


def model_gas(model_file: bytes) -> int:
    return G_KIB * math.ceil(len(model_file) / 1024)


def output_gas(output: tuple) -> int:
    numbers, strings, _, _ = output
    elements = sum(len(v) for _, v, _ in numbers) + sum(len(v) for _, v in strings)
    string_bytes = sum(len(s.encode()) for _, v in strings for s in v)
    return G_OUT * elements + G_BYTE * string_bytes


def log_gas(event_data: bytes) -> int:
    return G_LOG + G_TOPIC + G_LOG_BYTE * len(event_data)


def context(gas_available: int = PLENTY, static: bool = False) -> CallContext:
    return CallContext(SENDER, ORIGIN, BLOCK, 1_700_000_000, gas_available, static)


def tx_gas(data: bytes, execution: int) -> int:
    """Receipt gas of a tx to a precompile: intrinsic + execution, at least the EIP-7623 floor."""
    zeros = data.count(0)
    nonzeros = len(data) - zeros
    standard = 21_000 + 4 * zeros + 16 * nonzeros + execution
    return max(standard, 21_000 + 10 * (zeros + 4 * nonzeros))


# --- extra tiny models ----------------------------------------------------------------------------


def _model(nodes: list, inputs: list, outputs: list, inits: list | None = None) -> bytes:
    graph = helper.make_graph(nodes, "test", inputs, outputs, initializer=inits or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def extra_models() -> dict[str, bytes]:
    return {
        "int8_identity": _model(
            [helper.make_node("Identity", ["x"], ["y"])],
            [helper.make_tensor_value_info("x", TensorProto.INT8, [2])],
            [helper.make_tensor_value_info("y", TensorProto.INT8, [2])],
        ),
        "wide_output": _model(
            [helper.make_node("Expand", ["x", "shape"], ["y"])],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
            [
                helper.make_tensor_value_info(
                    "y", TensorProto.FLOAT, [limits.MAX_OUTPUT_ELEMENTS + 1]
                )
            ],
            [numpy_helper.from_array(np.array([limits.MAX_OUTPUT_ELEMENTS + 1]), "shape")],
        ),
        "nan_output": _model(
            [helper.make_node("Sqrt", ["x"], ["y"])],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        ),
    }


class Env:
    def __init__(self, root: Path) -> None:
        paths = build_examples(root / "examples")
        self.files = {name: path.read_bytes() for name, path in paths.items()}
        self.files.update(extra_models())
        self.store = ModelStore(root / "store")
        self.cids = {name: self.store.add(data, name) for name, data in self.files.items()}
        self.store.alias(UPSTREAM_DEMO_ALIAS, self.cids["upstream_demo"])
        self.sessions = {
            name: ort.InferenceSession(self.files[name], providers=["CPUExecutionProvider"])
            for name in EXAMPLES
        }
        self.engine = InferenceEngine(self.store)
        self.tester = new_tester(self.engine)
        self.account = self.tester.get_accounts()[0]
        self.call_proxy = self.deploy(proxy_code(static=False))
        self.static_proxy = self.deploy(proxy_code(static=True))

    def ort_outputs(self, name: str, feeds: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
        session = self.sessions[name]
        names = [o.name for o in session.get_outputs()]
        return list(zip(names, session.run(names, feeds), strict=True))

    def deploy(self, runtime: bytes) -> str:
        tx = self.tester.send_transaction(
            {"from": self.account, "gas": 200_000, "data": "0x" + init_code(runtime).hex()}
        )
        return self.tester.get_transaction_receipt(tx)["contract_address"]

    def send(self, data: bytes, gas_limit: int, to: str = F4) -> dict:
        tx = self.tester.send_transaction(
            {"from": self.account, "to": to, "gas": gas_limit, "data": "0x" + data.hex()}
        )
        return self.tester.get_transaction_receipt(tx)

    def call(self, data: bytes, gas_limit: int = 5_000_000, to: str = F4) -> bytes:
        out = self.tester.call(
            {"from": self.account, "to": to, "gas": gas_limit, "data": "0x" + data.hex()}
        )
        return bytes.fromhex(out[2:])

    def via_proxy(
        self, data: bytes, forward: int, static: bool = False
    ) -> tuple[dict, bool, bytes]:
        """Send through a contract that CALLs (or STATICCALLs) 0xF4 with `forward` gas."""
        proxy = self.static_proxy if static else self.call_proxy
        payload = forward.to_bytes(32, "big") + bytes(32) + data
        receipt = self.send(payload, 5_000_000, to=proxy)
        out = self.call(payload, 5_000_000, to=proxy)
        return receipt, bool(int.from_bytes(out[:32], "big")), out[32:]


def init_code(runtime: bytes) -> bytes:
    # PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime
    return bytes([0x60, len(runtime), 0x80, 0x60, 11, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + runtime


def proxy_code(static: bool) -> bytes:
    """Calldata [gas][unused][payload] -> CALL/STATICCALL 0xF4 with that gas and payload;
    returns [success word][return data] and never reverts itself."""
    value = b"" if static else bytes([0x60, 0x00])
    opcode = 0xFA if static else 0xF1
    return (
        bytes([0x60, 0x40, 0x36, 0x03])  # len = CALLDATASIZE - 64
        + bytes([0x80, 0x60, 0x40, 0x60, 0x00, 0x37])  # CALLDATACOPY(0, 64, len)
        + bytes([0x60, 0x00, 0x60, 0x00, 0x82, 0x60, 0x00])  # retSize, retOffset, len, argsOffset
        + value
        + bytes([0x60, 0xF4, 0x60, 0x00, 0x35, opcode])  # address, gas = word 0, call
        + bytes([0x60, 0x00, 0x52])  # mstore(0, success)
        + bytes([0x3D, 0x60, 0x00, 0x60, 0x20, 0x3E])  # returndatacopy(32, 0, size)
        + bytes([0x3D, 0x60, 0x20, 0x01, 0x60, 0x00, 0xF3])  # return(0, 32 + size)
    )


def sample_request(name: str, mode: int = 0, model_id: str | None = None) -> ModelInferenceRequest:
    return ModelInferenceRequest(mode, model_id or name, input_of(sample_input(name)))


def demo(values: tuple, shape: tuple = (2,), name: str = "input") -> ModelInput:
    return ModelInput((NumberTensor(name, values, shape),))


GOOD = ((1, 0), (2, 0))
