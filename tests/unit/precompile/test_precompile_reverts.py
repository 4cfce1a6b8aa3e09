"""The 0xF4 precompile on bad input: every rejected request reverts with its exact reason,
no log and no record, charging exactly the gas terms reached before the revert, the same from
Python and on chain; the reason reaches a calling contract; each cap is exact, not off by one.
"""

from __future__ import annotations

import pytest
from eth_abi import decode
from eth_tester.exceptions import TransactionFailed
from precompile_support import (
    G_BASE,
    GOOD,
    LLM_COMPLETION,
    ORT_STRING_NORMALIZER_ERROR,
    OUTPUT_TYPE,
    SELECTOR,
    Env,
    context,
    demo,
    error_data,
    input_gas,
    model_gas,
    request,
    tx_gas,
)

from precompiles import limits
from precompiles.inference.precompile import run
from precompiles.inference.types import ModelInput, NumberTensor, StringTensor

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
