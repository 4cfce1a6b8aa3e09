"""The real 0xF4 precompile as Solidity sees it, on the `opengradient:local` chain: reverts.

`contracts/test/InferenceProbe.sol` calls 0xF4 through the `OGInference` interface (`infer`,
Solidity bubbles a revert up) and with raw calldata (`forward`, for requests Solidity cannot
encode: unknown modes, malformed or aliased ABI), re-raising the revert data. Every revert
reason is asserted exactly, and every failed transaction is shown to have been mined, failed,
and paid for the precompile's work (its BASE charge comes before the calldata is even read),
while getting the rest of its gas back (a revert, not an out-of-gas); too little gas for BASE
is an out-of-gas in which the model never runs.
"""

from __future__ import annotations

import ape
import pytest
from inference_probe_support import PROBE_MODEL, raw_request

from precompiles import gas, limits
from precompiles.inference.precompile import RUN_MODEL_INFERENCE

FAILED_TX_GAS = 5_000_000
TX_BASE = 21_000

ORT_EMPTY_STRINGS = (
    "OGInference: model execution failed: [ONNXRuntimeError] : 2 : INVALID_ARGUMENT : "
    "Non-zero status code returned while running StringNormalizer node. Name:'' "
    "Status Message: Single dimension value must be greater than 0"
)


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def aliased_strings_request(model_id: str, tensors: int, values: int, string_len: int) -> bytes:
    """`tensors` string tensors whose `values` arrays are ONE shared array of `values` offsets,
    all pointing at ONE shared string of `string_len` bytes. ABI offsets may alias (Solidity's
    decoder accepts it too), so a few KiB of calldata describe a huge input."""
    out: list[bytes] = []
    pos = 0  # absolute position (after the selector) of the next word

    def put(*words: bytes) -> int:
        nonlocal pos
        start = pos
        for w in words:
            out.append(w)
            pos += len(w)
        return start

    cid = model_id.encode()
    cid_padded = cid + b"\0" * (-len(cid) % 32)
    # layout: [0] -> request R; R: mode, cid, input; cid; input I; numbers (empty); strings
    request_at = 32
    cid_at = request_at + 96
    input_at = cid_at + 32 + len(cid_padded)
    numbers_at = input_at + 64
    strings_at = numbers_at + 32
    heads_at = strings_at + 32
    tensors_at = heads_at + 32 * tensors  # each tensor: name offset, values offset
    names_at = tensors_at + 64 * tensors  # each name: length word + one data word
    shared_values_at = names_at + 64 * tensors
    shared_string_at = shared_values_at + 32 + 32 * values

    put(_word(request_at))
    put(_word(0), _word(cid_at - request_at), _word(input_at - request_at))
    put(_word(len(cid)), cid_padded)
    put(_word(numbers_at - input_at), _word(strings_at - input_at))
    put(_word(0))
    put(_word(tensors))
    put(*(_word(tensors_at + 64 * k - heads_at) for k in range(tensors)))
    for k in range(tensors):
        t = tensors_at + 64 * k
        put(_word(names_at + 64 * k - t), _word(shared_values_at - t))
    for k in range(tensors):
        name = f"t{k}".encode()
        put(_word(len(name)), name + b"\0" * (32 - len(name)))
    put(_word(values))
    put(*(_word(shared_string_at - (shared_values_at + 32)) for _ in range(values)))
    put(_word(string_len), b"a" * string_len + b"\0" * (-string_len % 32))
    assert pos == shared_string_at + 32 + string_len + (-string_len % 32)
    return RUN_MODEL_INFERENCE + b"".join(out)


def _num(values, decimals=0):
    return [(v, decimals) for v in values]


# --------------------------------------------------------------------------- revert paths

# id -> (probe method, argument builder, exact revert reason)
VOLATILITY_40 = _num(range(1, 41))
REVERT_CASES = {
    "malformed-calldata": (
        "forward",
        lambda: RUN_MODEL_INFERENCE + b"\x00" * 4,
        "OGInference: malformed calldata: calldata too short: need 32 bytes at offset 0",
    ),
    "unknown-selector": (
        "forward",
        lambda: bytes.fromhex("deadbeef") + b"\x00" * 64,
        "OGInference: unknown function selector 0xdeadbeef",
    ),
    "unknown-mode-3": (
        "forward",
        lambda: raw_request(3, "upstream_demo", [("input", _num([1, 2]), [2])]),
        "OGInference: unknown inference mode 3",
    ),
    "mode-over-uint8": (
        "forward",
        lambda: (
            RUN_MODEL_INFERENCE + _word(32) + _word(256) + raw_request(0, "upstream_demo")[4 + 64 :]
        ),
        "OGInference: malformed calldata: uint8 out of range at offset 32",
    ),
    "array-over-decoding-cap": (
        "forward",
        # The numbers array claims 2**32 tensors; the decoder refuses before reading them.
        lambda: (
            RUN_MODEL_INFERENCE
            + b"".join(_word(w) for w in (32, 0, 96, 160, 1, ord("m") << 248, 64, 96, 2**32, 0))
        ),
        f"OGInference: malformed calldata: array of {2**32} elements exceeds the decoding cap",
    ),
    "unknown-model": (
        "infer",
        lambda: (0, "no-such-model", ([], [])),
        "OGInference: model not found: no-such-model",
    ),
    "missing-input": (
        "infer",
        lambda: (0, "volatility", ([], [])),
        "OGInference: Input not found: open_high_low_close",
    ),
    "unexpected-input": (
        "infer",
        lambda: (
            0,
            "upstream_demo",
            ([("input", _num([1, 2]), [2]), ("bias", _num([1]), [1])], []),
        ),
        "OGInference: unexpected input 'bias'; model inputs are ['input']",
    ),
    "duplicate-input": (
        "infer",
        lambda: (0, "upstream_demo", ([("input", _num([1, 2]), [2])], [("input", ["a"])])),
        "OGInference: duplicate input name 'input'",
    ),
    "count-does-not-match-shape": (
        "infer",
        lambda: (0, "volatility", ([("open_high_low_close", VOLATILITY_40[:39], [10, 4])], [])),
        "OGInference: input 'open_high_low_close' has 39 values but shape [10, 4] needs 40",
    ),
    "wrong-static-dimension": (
        "infer",
        lambda: (0, "volatility", ([("open_high_low_close", VOLATILITY_40, [4, 10])], [])),
        "OGInference: input 'open_high_low_close' has shape [4, 10], model expects [10, 4]",
    ),
    "decimals-above-18": (
        "infer",
        lambda: (0, "upstream_demo", ([("input", [(1, 19), (1, 0)], [2])], [])),
        "OGInference: input 'input': decimals 19 outside [-18, 18]",
    ),
    "decimals-below-minus-18": (
        "infer",
        lambda: (0, "upstream_demo", ([("input", [(1, 0), (1, -19)], [2])], [])),
        "OGInference: input 'input': decimals -19 outside [-18, 18]",
    ),
    "value-over-float32": (
        "infer",
        lambda: (0, "upstream_demo", ([("input", [(10**21, -18), (0, 0)], [2])], [])),
        "OGInference: input 'input': value out of range for float32",
    ),
    "strings-for-a-number-input": (
        "infer",
        lambda: (0, "upstream_demo", ([], [("input", ["1", "2"])])),
        "OGInference: input 'input' is tensor(float); send it as a number tensor",
    ),
    "numbers-for-a-string-input": (
        "infer",
        lambda: (0, "sentiment", ([("text", _num([1]), [1])], [])),
        "OGInference: input 'text' is tensor(string); send it as a string tensor",
    ),
    "onnxruntime-error": (
        "infer",
        # Passes every check of ours; onnxruntime's StringNormalizer rejects n = 0.
        lambda: (0, "sentiment", ([], [("text", [])])),
        ORT_EMPTY_STRINGS,
    ),
    "output-not-finite": (
        "infer",
        lambda: (0, PROBE_MODEL, ([("x", [(-1, 0)], [1])], [])),
        "OGInference: output 'root': model output is not finite (NaN or infinity)",
    ),
    "output-over-int128": (
        "infer",
        lambda: (0, PROBE_MODEL, ([("x", [(3 * 10**20, -18)], [1])], [])),
        "OGInference: output 'same': 3e+38 does not fit int128 fixed point",
    ),
    "over-MAX_OUTPUT_ELEMENTS": (
        "infer",
        # 256 inputs: root 256 + same 256 + outer 65536 outputs > 65536
        lambda: (0, PROBE_MODEL, ([("x", _num([1] * 256), [256])], [])),
        f"OGInference: model output exceeds {limits.MAX_OUTPUT_ELEMENTS} elements",
    ),
    "over-MAX_TENSORS": (
        "infer",
        # the cheapest tensors: empty, unnamed string tensors (counted before names)
        lambda: (0, "sentiment", ([], [("", [])] * (limits.MAX_TENSORS + 1))),
        f"OGInference: {limits.MAX_TENSORS + 1} input tensors exceed {limits.MAX_TENSORS}",
    ),
    "over-MAX_TENSOR_RANK": (
        "infer",
        lambda: (0, "upstream_demo", ([("input", _num([1]), [1] * 9)], [])),
        f"OGInference: input 'input' has rank 9, over {limits.MAX_TENSOR_RANK}",
    ),
    "over-MAX_INPUT_ELEMENTS": (
        "forward",
        # 64 tensors x one shared array of 1025 (empty) strings: 65,600 elements in ~38 KiB
        lambda: aliased_strings_request("sentiment", limits.MAX_TENSORS, 1025, 0),
        f"OGInference: {64 * 1025} input elements exceed {limits.MAX_INPUT_ELEMENTS}",
    ),
    "over-MAX_INPUT_STRING_BYTES": (
        "forward",
        # Honest calldata: one string one byte over the cap, of zero bytes (valid UTF-8 and
        # the cheapest calldata). Aliasing cannot do it cheaper: see the next case.
        lambda: raw_request(
            0, "sentiment", strings=[("text", ["\0" * (limits.MAX_INPUT_STRING_BYTES + 1)])]
        ),
        f"OGInference: {limits.MAX_INPUT_STRING_BYTES + 1} bytes of input strings exceed "
        f"{limits.MAX_INPUT_STRING_BYTES}",
    ),
    "aliased-strings-over-decoding-cap": (
        "forward",
        # one tensor of 64 offsets to one shared 4097-byte string: 262,208 bytes described by
        # ~6 KiB; the decoder never hands out more string bytes than the calldata holds
        lambda: aliased_strings_request("sentiment", 1, 64, 4097),
        "OGInference: malformed calldata: string of 4097 bytes at offset 2560 exceeds the "
        "decoding cap",
    ),
}


# The model runs, then the precompile rejects what it returned.
OUTPUT_SIDE = {"output-not-finite", "output-over-int128", "over-MAX_OUTPUT_ELEMENTS"}


@pytest.mark.parametrize("case", sorted(REVERT_CASES))
def test_revert_reason_and_gas(case, probe, owner, engine):
    method, build, reason = REVERT_CASES[case]
    fn = getattr(probe, method)
    arg = build()
    calls, runs, records = probe.calls(), engine.model_runs, len(engine.records)

    with ape.reverts(reason):
        fn(arg, sender=owner)

    receipt = fn(arg, sender=owner, gas=FAILED_TX_GAS, raise_on_revert=False)
    assert receipt.failed and receipt.status == 0
    assert str(receipt.error) == reason
    # Mined and paid for: the precompile charged at least its BASE before failing, and the
    # revert handed the rest back (an out-of-gas would have burnt all FAILED_TX_GAS).
    assert TX_BASE + gas.BASE < receipt.gas_used < FAILED_TX_GAS
    assert receipt.logs == []
    assert probe.calls() == calls  # the probe's state change was rolled back
    # Input-side failures stop before the model; output-side ones after exactly one run (the
    # second transaction reads the result cache).
    assert engine.model_runs - runs == (1 if case in OUTPUT_SIDE else 0)
    assert len(engine.records) == records  # nothing recorded for a failed inference


def test_rejected_output_leaves_no_record(probe, owner, engine):
    request = (0, PROBE_MODEL, ([("x", [(-4, 0)], [1])], []))  # sqrt(-4) is NaN
    records = len(engine.records)
    receipt = probe.infer(request, sender=owner, gas=FAILED_TX_GAS, raise_on_revert=False)
    assert str(receipt.error) == (
        "OGInference: output 'root': model output is not finite (NaN or infinity)"
    )
    assert len(engine.records) == records


def test_llm_completion_of_an_unknown_llm_reverts(probe, owner):
    """The chain's LLM backend knows the store's LLMs (and an endpoint's, when configured);
    tests/contracts/test_llm_contract.py covers the rest of the LLM functions."""
    request = (0, "meta-llama/Llama-3.1-8B-Instruct", "Hello", 16, [], 50)
    reason = "OGInference: LLM not found: meta-llama/Llama-3.1-8B-Instruct"
    with ape.reverts(reason):
        probe.completion(request, sender=owner)
    receipt = probe.completion(request, sender=owner, gas=FAILED_TX_GAS, raise_on_revert=False)
    assert receipt.failed and TX_BASE + gas.BASE < receipt.gas_used < FAILED_TX_GAS


def test_calldata_over_cap(probe, owner):
    """One byte over MAX_CALLDATA_BYTES, checked before anything is decoded (zero bytes are
    the cheapest calldata)."""
    data = RUN_MODEL_INFERENCE + b"\x00" * (limits.MAX_CALLDATA_BYTES - 3)
    reason = (
        f"OGInference: calldata of {limits.MAX_CALLDATA_BYTES + 1} bytes exceeds "
        f"{limits.MAX_CALLDATA_BYTES}"
    )
    with ape.reverts(reason):
        probe.forward(data, sender=owner, gas=20_000_000)
    receipt = probe.forward(data, sender=owner, gas=20_000_000, raise_on_revert=False)
    assert receipt.failed and str(receipt.error) == reason
    assert TX_BASE + gas.BASE < receipt.gas_used < 20_000_000


def test_out_of_gas_inside_the_precompile(probe, owner, engine, chain):
    """Too little gas for the precompile's BASE charge: the call fails as an EVM out-of-gas
    (no revert data, so the probe re-raises an empty revert) and the model never runs.

    Sent through web3 directly: Ape would replay a failed tx with `eth_call` at full gas to
    find its reason, and that replay (rightly) runs the model."""
    request = raw_request(0, "upstream_demo", [("input", _num([5, 6]), [2])])
    runs = engine.model_runs
    w3 = chain.provider.web3
    tx_hash = w3.eth.send_transaction(
        {
            "from": owner.address,
            "to": probe.address,
            "data": probe.forward.encode_input(request),
            "gas": 45_000,
        }
    )
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    assert engine.model_runs == runs
    # The inner call had < 25,000 gas and burnt all of it; what is left is at most the 1/64
    # the caller keeps back under EIP-150.
    assert 0 < 45_000 - receipt["gasUsed"] < 45_000 // 64
