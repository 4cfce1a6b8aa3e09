"""The 0xF4 precompile, called from Python (`precompile.run`) and through the chain.

Everything runs the real example models with onnxruntime, from a store built in a temp dir.
A few extra tiny ONNX models (built here with onnx.helper) reach code paths the examples
cannot: an int8 input, an output over the size cap, a NaN output. Expected values (outputs,
event data, inference ids, gas) are recomputed here from the reference rules, not taken
from the code under test.
"""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from eth_abi import decode, encode
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak, to_canonical_address
from onnx import TensorProto, helper, numpy_helper

from og_examples.models import EXAMPLES, UPSTREAM_DEMO_ALIAS, build_examples, sample_input
from ogkit.chain import new_tester
from ogkit.inference.engine import InferenceEngine
from ogkit.inference.prover_queue import no_setup_status
from ogkit.models.store import ModelStore
from precompiles import gas, limits
from precompiles.host import CallContext, LogEntry
from precompiles.inference.precompile import run
from precompiles.inference.types import (
    ModelInferenceMode,
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


def test_gas_schedule_is_the_documented_one() -> None:
    assert (gas.BASE, gas.PER_INPUT_ELEMENT, gas.PER_OUTPUT_ELEMENT, gas.PER_STRING_BYTE) == (
        G_BASE,
        G_IN,
        G_OUT,
        G_BYTE,
    )
    assert (gas.PER_MODEL_KIB, gas.LOG_BASE, gas.LOG_TOPIC, gas.LOG_DATA_BYTE) == (
        G_KIB,
        G_LOG,
        G_TOPIC,
        G_LOG_BYTE,
    )


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


# --- fixtures -------------------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return Env(tmp_path_factory.mktemp("precompile"))


def sample_request(name: str, mode: int = 0, model_id: str | None = None) -> ModelInferenceRequest:
    return ModelInferenceRequest(mode, model_id or name, input_of(sample_input(name)))


# --- happy paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_from_python(env: Env, name: str) -> None:
    req = sample_request(name)
    result = run(calldata(req), context(), env.engine)
    assert not result.reverted and not result.out_of_gas and result.reason == ""
    output = expected_output(env.ort_outputs(name, sample_input(name)))
    assert result.output == encode([OUTPUT_TYPE], [output])

    inf_id = inference_id(BLOCK, ORIGIN, SENDER, env.files[name], req)
    event = encode(["string", REQUEST_TYPE, OUTPUT_TYPE], [inf_id, request_abi(req), output])
    assert result.logs == [LogEntry(F4_BYTES, (TOPIC,), event)]
    file = env.files[name]
    assert result.gas_used == (
        G_BASE
        + input_gas(req.input)
        + model_gas(file)
        + COMPUTE_GAS[name]
        + output_gas(output)
        + log_gas(event)
    )
    record = env.engine.records[inf_id]
    assert record.settlement == "not required"
    assert record.model_hash == hashlib.sha256(file).digest()
    assert record.block_number == BLOCK


def test_example_outputs_pinned(env: Env) -> None:
    """A few outputs written out, so a change in the conversion rule cannot hide."""
    outputs = {}
    for name in EXAMPLES:
        result = run(calldata(sample_request(name)), context(), env.engine)
        outputs[name] = decode([OUTPUT_TYPE], result.output)[0]
    # sentiment: bullish 2.0 + strong 1.25 + breakout 1.5 in the hand-written lexicon
    assert outputs["sentiment"] == ((("score", ((475, 2),), (1,)),), (), (), False)
    label = outputs["credit_risk"][1]
    assert label == (("label", ("medium",)),)
    assert [n for n, _, _ in outputs["credit_risk"][0]] == ["probabilities"]
    probabilities = outputs["credit_risk"][0][0][1]
    assert sum(Decimal(v).scaleb(-d) for v, d in probabilities) == pytest.approx(1, abs=1e-6)
    # upstream_demo: 2 * x0 - 0.5 * x1 + 0.25 in float32
    x0, x1 = sample_input("upstream_demo")["input"]
    y = np.float32(np.float32(2.0) * x0 + np.float32(-0.5) * x1) + np.float32(0.25)
    assert outputs["upstream_demo"][0] == (("output", (sdk_number(y),), (1,)),)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_on_chain(env: Env, name: str) -> None:
    req = sample_request(name)
    data = calldata(req)
    output = expected_output(env.ort_outputs(name, sample_input(name)))
    receipt = env.send(data, 2_000_000)
    assert receipt["status"] == 1
    sender = to_canonical_address(env.account)
    nonce = env.tester.get_nonce(env.account)  # the EVM's, once it bumped the sender's
    inf_id = inference_id(receipt["block_number"], sender, sender, env.files[name], req, nonce)
    event = encode(["string", REQUEST_TYPE, OUTPUT_TYPE], [inf_id, request_abi(req), output])
    (log,) = receipt["logs"]
    assert log["address"] == F4
    assert log["topics"] == ["0x" + f"{TOPIC:064x}"]
    assert log["data"] == "0x" + event.hex()
    assert decode(["string", REQUEST_TYPE, OUTPUT_TYPE], event)[0] == inf_id
    execution = (
        G_BASE
        + input_gas(req.input)
        + model_gas(env.files[name])
        + COMPUTE_GAS[name]
        + output_gas(output)
    ) + log_gas(event)
    assert receipt["gas_used"] == tx_gas(data, execution)
    assert env.call(data) == encode([OUTPUT_TYPE], [output])


def test_model_ids_cid_alias_and_upstream_id(env: Env) -> None:
    results = {
        model_id: run(
            calldata(sample_request("upstream_demo", model_id=model_id)), context(), env.engine
        )
        for model_id in ("upstream_demo", env.cids["upstream_demo"], UPSTREAM_DEMO_ALIAS)
    }
    outputs = {r.output for r in results.values()}
    assert len(outputs) == 1 and not any(r.reverted for r in results.values())


def test_static_call_emits_no_log(env: Env) -> None:
    req = sample_request("volatility")
    normal = run(calldata(req), context(), env.engine)
    static_context = CallContext(SENDER, ORIGIN, BLOCK + 1000, 0, PLENTY, is_static=True)
    static = run(calldata(req), static_context, env.engine)
    assert static.output == normal.output and not static.reverted
    assert static.logs == []
    # nor a record: a static frame changes no state
    static_id = inference_id(BLOCK + 1000, ORIGIN, SENDER, env.files["volatility"], req)
    assert static_id not in env.engine.records
    (log,) = normal.logs
    assert normal.gas_used - static.gas_used == log_gas(log.data)


def test_static_call_on_chain(env: Env) -> None:
    data = calldata(sample_request("upstream_demo"))
    expected = encode(
        [OUTPUT_TYPE],
        [expected_output(env.ort_outputs("upstream_demo", sample_input("upstream_demo")))],
    )
    receipt, ok, out = env.via_proxy(data, 10**6, static=True)
    assert receipt["status"] == 1 and ok and out == expected
    assert receipt["logs"] == []
    receipt, ok, out = env.via_proxy(data, 10**6, static=False)
    assert receipt["status"] == 1 and ok and out == expected
    assert [log["address"] for log in receipt["logs"]] == [F4]


@pytest.mark.parametrize("mode", [ModelInferenceMode.ZK, ModelInferenceMode.TEE])
def test_proof_modes(env: Env, mode: ModelInferenceMode) -> None:
    vanilla = sample_request("credit_risk")
    proof = sample_request("credit_risk", mode=int(mode))
    first = run(calldata(vanilla), context(), env.engine)
    runs = env.engine.model_runs
    result = run(calldata(proof), context(), env.engine)
    assert result.output == first.output and not result.reverted
    assert env.engine.model_runs == runs  # same model and input: the recorded result
    inf_id = inference_id(BLOCK, ORIGIN, SENDER, env.files["credit_risk"], proof)
    record = env.engine.records[inf_id]
    if mode is ModelInferenceMode.ZK:  # queued for proving; credit_risk cannot be set up for ZK
        assert env.engine.prover_queue.wait(inf_id, timeout=30) is record
        cid = env.engine.store.resolve("credit_risk").cid
        assert (record.mode, record.settlement) == (mode, no_setup_status(cid))
    else:
        assert (record.mode, record.settlement) == (mode, "pending")
    vanilla_id = inference_id(BLOCK, ORIGIN, SENDER, env.files["credit_risk"], vanilla)
    assert env.engine.records[vanilla_id].settlement == "not required"
    (log,) = result.logs
    assert decode(["string", REQUEST_TYPE, OUTPUT_TYPE], log.data)[1][0] == int(mode)
    receipt = env.send(calldata(proof), 2_000_000)
    assert receipt["status"] == 1


# --- bad input: exact reasons, gas charged, on chain too ------------------------------------------


def aliased_elements(model: str, tensors: int, values: int) -> bytes:
    """`tensors` number tensors (names a, b, ...) sharing one values array and one shape."""
    req, cid = 32, model.encode()
    cid_at = req + 96
    inp = cid_at + 64
    nums = inp + 64
    body = nums + 32
    heads = body + 32 * tensors
    names = heads + 96 * tensors
    vals = names + 64 * tensors
    shape = vals + 32 + 64 * values
    strs = shape + 64
    buf = bytearray(strs + 32)

    def put(at: int, value: int) -> None:
        buf[at : at + 32] = value.to_bytes(32, "big")

    put(0, req)
    put(req + 32, cid_at - req)
    put(req + 64, inp - req)
    put(cid_at, len(cid))
    buf[cid_at + 32 : cid_at + 32 + len(cid)] = cid
    put(inp, nums - inp)
    put(inp + 32, strs - inp)
    put(nums, tensors)
    for i in range(tensors):
        head = heads + 96 * i
        put(body + 32 * i, head - body)
        put(head, names + 64 * i - head)
        put(head + 32, vals - head)
        put(head + 64, shape - head)
        put(names + 64 * i, 1)
        buf[names + 64 * i + 32] = ord("a") + i
    put(vals, values)
    put(shape, 1)
    put(shape + 32, values)
    return SELECTOR + bytes(buf)


def aliased_strings(tensors: int, strings: int, string_bytes: int) -> bytes:
    """`tensors` string tensors -> one tensor whose `strings` offsets -> one long string."""
    word = lambda x: x.to_bytes(32, "big")  # noqa: E731
    cid = word(9) + b"sentiment".ljust(32, b"\0")
    padded = -(-string_bytes // 32) * 32
    values = word(strings) + word(32 * strings) * strings
    values += word(string_bytes) + b"z" * string_bytes + b"\0" * (padded - string_bytes)
    tensor = word(0x40) + word(0x80) + word(4) + b"text".ljust(32, b"\0") + values
    strings_array = word(tensors) + word(32 * tensors) * tensors + tensor
    model_input = word(0x40) + word(0x60) + word(0) + strings_array
    request = word(0) + word(0x60) + word(0x60 + len(cid)) + cid + model_input
    return SELECTOR + word(0x20) + request


def demo(values: tuple, shape: tuple = (2,), name: str = "input") -> ModelInput:
    return ModelInput((NumberTensor(name, values, shape),))


GOOD = ((1, 0), (2, 0))
STRING_BOMB = aliased_strings(8, 1000, 1 << 16)
BASE_ONLY, WITH_INPUT, WITH_MODEL = "base", "input", "model"
WITH_COMPUTE = {"sentiment": 21, "nan_output": 5, "wide_output": 20}
"""Stage "compute": the model's compute term was charged too (the run was priced and began).
sentiment on 0 words: 32,040 multiply-adds, 2,100 bytes, 6 nodes -> 2 + 1 + 18; nan_output
(Sqrt of [1]): 8, 8, 1 -> 1 + 1 + 3; wide_output (Expand to 65,537 floats): 0, 262,160,
1 -> 0 + 17 + 3."""

# id -> (calldata builder, exact reason, which gas terms were charged before the revert)
BAD_INPUTS = {
    "selector only": (
        lambda: SELECTOR,
        "OGInference: malformed calldata: calldata too short: need 32 bytes at offset 0",
        BASE_ONLY,
    ),
    "truncated": (
        lambda: request("upstream_demo", demo(GOOD))[:-64],
        "OGInference: malformed calldata: calldata too short: need 32 bytes at offset 672",
        BASE_ONLY,
    ),
    "aliased string bomb": (
        # one 64 KiB string referenced 8 x 1000 times (500 MiB) from 100 KiB of calldata
        lambda: STRING_BOMB,
        # the string's first use fits in the calldata's own length, the second does not
        "OGInference: malformed calldata: string of 65536 bytes at offset "
        f"{len(STRING_BOMB) - 4 - 32 - (1 << 16)} exceeds the decoding cap",
        BASE_ONLY,
    ),
    "empty calldata": (lambda: b"", "OGInference: unknown function selector 0x", BASE_ONLY),
    "unknown selector": (
        lambda: bytes.fromhex("deadbeef") + request("upstream_demo", demo(GOOD))[4:],
        "OGInference: unknown function selector 0xdeadbeef",
        BASE_ONLY,
    ),
    "LLM completion": (
        lambda: LLM_COMPLETION + bytes(64),
        "OGInference: LLM inference is not available on this chain",  # no LLM backend given
        BASE_ONLY,
    ),
    "unknown mode": (
        lambda: request("upstream_demo", demo(GOOD), mode=3),
        "OGInference: unknown inference mode 3",
        BASE_ONLY,
    ),
    "unknown model": (
        lambda: request("no-such-model", demo(GOOD)),
        "OGInference: model not found: no-such-model",
        WITH_INPUT,
    ),
    "path traversal model id": (
        lambda: request("../aliases.json", demo(GOOD)),
        "OGInference: model not found: ../aliases.json",
        WITH_INPUT,
    ),
    "missing input": (
        lambda: request("upstream_demo", ModelInput()),
        "OGInference: Input not found: input",
        WITH_MODEL,
    ),
    "unexpected input": (
        lambda: request(
            "upstream_demo",
            ModelInput((NumberTensor("input", GOOD, (2,)), NumberTensor("extra", ((1, 0),), (1,)))),
        ),
        "OGInference: unexpected input 'extra'; model inputs are ['input']",
        WITH_MODEL,
    ),
    "duplicate input": (
        lambda: request(
            "upstream_demo",
            ModelInput((NumberTensor("input", GOOD, (2,)),), (StringTensor("input", ("a",)),)),
        ),
        "OGInference: duplicate input name 'input'",
        BASE_ONLY,
    ),
    "count vs shape": (
        lambda: request("upstream_demo", demo(((1, 0), (2, 0), (3, 0)))),
        "OGInference: input 'input' has 3 values but shape [2] needs 2",
        BASE_ONLY,
    ),
    "shape vs model": (
        lambda: request("upstream_demo", demo(GOOD, shape=(1, 2))),
        "OGInference: input 'input' has shape [1, 2], model expects [2]",
        WITH_MODEL,
    ),
    "decimals above 18": (
        lambda: request("upstream_demo", demo(((1, 0), (1, 19)))),
        "OGInference: input 'input': decimals 19 outside [-18, 18]",
        BASE_ONLY,
    ),
    "float32 overflow": (
        lambda: request("upstream_demo", demo(((10**21, -18), (1, 0)))),  # 1e39
        "OGInference: input 'input': value out of range for float32",
        WITH_MODEL,
    ),
    "int8 out of range": (
        lambda: request("int8_identity", demo(((127, 0), (128, 0)), name="x")),
        "OGInference: input 'x': 128 out of range for int8",
        WITH_MODEL,
    ),
    "int8 not whole": (
        lambda: request("int8_identity", demo(((15, 1), (1, 0)), name="x")),
        "OGInference: input 'x': 1.5 is not a whole number for int8",
        WITH_MODEL,
    ),
    "strings for a number input": (
        lambda: request("upstream_demo", ModelInput((), (StringTensor("input", ("1", "2")),))),
        "OGInference: input 'input' is tensor(float); send it as a number tensor",
        WITH_MODEL,
    ),
    "numbers for a string input": (
        lambda: request("sentiment", demo(GOOD, name="text")),
        "OGInference: input 'text' is tensor(string); send it as a string tensor",
        WITH_MODEL,
    ),
    "onnxruntime error": (
        lambda: request("sentiment", ModelInput((), (StringTensor("text", ()),))),
        "OGInference: model execution failed: " + ORT_STRING_NORMALIZER_ERROR,
        "compute",
    ),
    "NaN output": (
        lambda: request("nan_output", demo(((-1, 0),), shape=(1,), name="x")),
        "OGInference: output 'y': model output is not finite (NaN or infinity)",
        "compute",
    ),
    "cap: calldata": (
        lambda: SELECTOR + bytes(limits.MAX_CALLDATA_BYTES - 3),
        f"OGInference: calldata of {limits.MAX_CALLDATA_BYTES + 1} bytes exceeds "
        f"{limits.MAX_CALLDATA_BYTES}",
        BASE_ONLY,
    ),
    "cap: tensors": (
        lambda: request(
            "upstream_demo",
            ModelInput(
                tuple(NumberTensor(f"t{i}", ((1, 0),), (1,)) for i in range(limits.MAX_TENSORS + 1))
            ),
        ),
        f"OGInference: {limits.MAX_TENSORS + 1} input tensors exceed {limits.MAX_TENSORS}",
        BASE_ONLY,
    ),
    "cap: rank": (
        lambda: request(
            "upstream_demo", demo(((1, 0),), shape=(1,) * (limits.MAX_TENSOR_RANK + 1))
        ),
        f"OGInference: input 'input' has rank {limits.MAX_TENSOR_RANK + 1}, "
        f"over {limits.MAX_TENSOR_RANK}",
        BASE_ONLY,
    ),
    "cap: input elements": (
        # only reachable with aliased offsets: 5 tensors share 13,108 Numbers (839 KB)
        lambda: aliased_elements("upstream_demo", 5, 13_108),
        f"OGInference: 65540 input elements exceed {limits.MAX_INPUT_ELEMENTS}",
        BASE_ONLY,
    ),
    "cap: input string bytes": (
        lambda: request(
            "sentiment",
            ModelInput((), (StringTensor("text", ("x" * (limits.MAX_INPUT_STRING_BYTES + 1),)),)),
        ),
        f"OGInference: {limits.MAX_INPUT_STRING_BYTES + 1} bytes of input strings exceed "
        f"{limits.MAX_INPUT_STRING_BYTES}",
        BASE_ONLY,
    ),
    "cap: output elements": (
        lambda: request("wide_output", demo(((1, 0),), shape=(1,), name="x")),
        f"OGInference: model output exceeds {limits.MAX_OUTPUT_ELEMENTS} elements",
        "compute",
    ),
}


def charged(env: Env, data: bytes, stage: str) -> int:
    """Gas charged before the revert: BASE, then the input terms, the model term, compute."""
    if stage == BASE_ONLY:
        return G_BASE
    from precompiles.inference.model_codec import decode_model_inference_request

    req = decode_model_inference_request(data[4:])
    total = G_BASE + input_gas(req.input)
    if stage in (WITH_MODEL, "compute"):
        total += model_gas(env.files[req.model_cid])
    if stage == "compute":
        total += WITH_COMPUTE[req.model_cid]
    return total


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_reverts(env: Env, case: str) -> None:
    build, reason, stage = BAD_INPUTS[case]
    data = build()
    runs, records = env.engine.model_runs, dict(env.engine.records)
    result = run(data, context(), env.engine)
    assert result.reverted and not result.out_of_gas
    assert env.engine.records == records  # a reverted call leaves no record
    assert result.reason == reason
    assert result.output == error_data(reason)
    assert result.logs == []
    assert result.gas_used == charged(env, data, stage) > 0
    if case not in ("onnxruntime error", "NaN output", "cap: output elements"):
        assert env.engine.model_runs == runs  # rejected before any model ran

    # the same calldata sent to 0xF4 on chain
    limit = tx_gas(data, 2_000_000)
    receipt = env.send(data, limit)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert receipt["gas_used"] == tx_gas(data, result.gas_used) > 21_000
    with pytest.raises(TransactionFailed) as exc:
        env.call(data, limit)
    assert str(exc.value) == reason


def test_revert_reason_reaches_a_calling_contract(env: Env) -> None:
    data = request("no-such-model", demo(GOOD))
    receipt, ok, out = env.via_proxy(data, 10**6)
    assert receipt["status"] == 1 and not ok
    assert out == error_data("OGInference: model not found: no-such-model")


def test_caps_are_not_off_by_one(env: Env) -> None:
    """Exactly at each cap the request passes validation and fails (or runs) later."""
    at_elements = run(aliased_elements("upstream_demo", 8, 8_192), context(), env.engine)
    assert at_elements.reason == "OGInference: unexpected input 'a'; model inputs are ['input']"
    words = ("x" * limits.MAX_INPUT_STRING_BYTES,)
    at_bytes = run(
        request("sentiment", ModelInput((), (StringTensor("text", words),))), context(), env.engine
    )
    assert not at_bytes.reverted
    assert decode([OUTPUT_TYPE], at_bytes.output)[0][0] == (("score", ((0, 0),), (1,)),)
    tensors = tuple(NumberTensor(f"t{i}", ((1, 0),), (1,)) for i in range(limits.MAX_TENSORS))
    at_tensors = run(request("upstream_demo", ModelInput(tensors)), context(), env.engine)
    assert at_tensors.reason.startswith("OGInference: unexpected input 't0'")
    at_rank = run(
        request("upstream_demo", demo(((1, 0),), shape=(1,) * limits.MAX_TENSOR_RANK)),
        context(),
        env.engine,
    )
    assert at_rank.reason == (
        "OGInference: input 'input' has shape [1, 1, 1, 1, 1, 1, 1, 1], model expects [2]"
    )
    # all-zero arguments are a valid (fully aliased) encoding of an empty request
    at_calldata = run(SELECTOR + bytes(limits.MAX_CALLDATA_BYTES - 4), context(), env.engine)
    assert at_calldata.reason == "OGInference: model not found: "


# --- out of gas -----------------------------------------------------------------------------------


def test_out_of_gas_from_python(env: Env) -> None:
    data = calldata(sample_request("volatility"))
    needed = run(data, context(), env.engine).gas_used
    assert not run(data, context(needed), env.engine).reverted
    records = dict(env.engine.records)
    for available in (needed - 1, G_BASE + 10, G_BASE - 1, 0):
        result = run(data, CallContext(SENDER, ORIGIN, 99, 0, available), env.engine)
        assert env.engine.records == records
        assert result.out_of_gas and not result.reverted
        assert (result.output, result.gas_used, result.logs) == (b"", available, [])
        assert result.reason == "out of gas"
    # a revert that runs out of gas is still out of gas
    bad = request("no-such-model", demo(GOOD))
    assert run(bad, context(G_BASE + 99), env.engine).out_of_gas


def test_out_of_gas_on_chain(env: Env) -> None:
    data = calldata(sample_request("volatility"))
    needed = run(data, context(), env.engine).gas_used
    exact = tx_gas(data, needed)
    assert env.send(data, exact)["status"] == 1
    receipt = env.send(data, exact - 1)
    assert receipt["status"] == 0 and receipt["gas_used"] == exact - 1  # all gas burnt
    assert receipt["logs"] == []
    with pytest.raises(TransactionFailed) as exc:
        env.call(data, exact - 1)
    assert str(exc.value) == "OGInference: out of gas"
    # from a contract: the CALL fails (returns 0, no data) and the caller carries on
    receipt, ok, out = env.via_proxy(data, needed - 1)
    assert receipt["status"] == 1 and not ok and out == b""
    assert receipt["logs"] == []
    receipt, ok, out = env.via_proxy(data, needed)
    assert receipt["status"] == 1 and ok and len(receipt["logs"]) == 1
