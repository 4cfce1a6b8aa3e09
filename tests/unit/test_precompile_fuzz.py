"""Fuzzing 0xF4: random and mutated calldata never escapes as a Python exception.

Every outcome is one of three: success (an ABI `ModelOutput` and one event), a revert with
`Error(string)` data, or out of gas (no data, all gas used). Gas used is at least BASE whenever
BASE was available. The same inputs go to `run(...)` directly, through py-evm's message
machinery on the AI chain (where the adapter must agree with `run` exactly), and as signed raw
transactions. Budgets are fixed (`max_examples`) so the file stays within a few seconds.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from eth.exceptions import OutOfGas, Revert
from eth.vm.message import Message
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import to_canonical_address
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from og_examples.models import EXAMPLES, sample_input
from ogkit.inference.engine import InferenceEngine
from precompiles import gas
from precompiles.host import CallContext, PrecompileResult
from precompiles.inference.precompile import run

F4 = bytes(19) + b"\xf4"
SELECTOR = bytes.fromhex("7289e9c2")
ERROR_SELECTOR = bytes.fromhex("08c379a0")
TOPIC = 0x1B283AF3452F3718585CE100F80D9AA81FC60924DB4A582A36DB6AAE3B109D87
REQUEST_TYPE = "(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[]))"
OUTPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"
MNEMONIC = "test test test test test test test test test test test junk"
SENDER = bytes.fromhex("33" * 20)
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fixed(x: float) -> list[int]:
    sign, digits, exponent = Decimal(str(x)).normalize().as_tuple()
    value = int("".join(map(str, digits))) * (-1 if sign else 1)
    return [value * 10**exponent, 0] if exponent >= 0 else [value, -exponent]


def sample_calldata(name: str, mode: int = 0) -> bytes:
    numbers, strings = [], []
    for key, array in sample_input(name).items():
        if array.dtype == object:
            strings.append((key, [str(s) for s in array.reshape(-1)]))
        else:
            numbers.append((key, [fixed(x) for x in array.reshape(-1)], list(array.shape)))
    return SELECTOR + encode([REQUEST_TYPE], [(mode, name, (numbers, strings))])


SEEDS = [sample_calldata(name, mode) for name in EXAMPLES for mode in (0, 1)]
SEEDS.append(
    SELECTOR
    + encode([REQUEST_TYPE], [(0, "upstream_demo", ([("input", [[1, 0], [25, 1]], [2])], []))])
)
SEEDS.append(
    SELECTOR
    + encode(
        [REQUEST_TYPE],
        [
            (
                2,
                "sentiment",
                (
                    [],
                    [
                        ("text", ["", "good", "é"]),
                    ],
                ),
            )
        ],
    )
)

INTERESTING_WORDS = [0, 1, 2, 31, 32, 33, 255, 256, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 2**64,
                     2**127 - 1, 2**127, 2**255, 2**256 - 1, 10**6, 1 << 20, 1 << 40]  # fmt: skip


# --- mutations ------------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                ["flip", "truncate", "splice", "word", "small", "copy", "cross", "selector"]
            )
        )
        n = len(data)
        if kind == "flip" and n:
            i = draw(st.integers(0, n - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[draw(st.integers(0, n)) :]
        elif kind == "splice":
            i = draw(st.integers(0, n))
            data[i:i] = draw(st.binary(max_size=64))
        elif kind == "word" and n >= 4 + 32:
            i = 4 + 32 * draw(st.integers(0, (n - 4) // 32 - 1))
            value = draw(st.sampled_from([*INTERESTING_WORDS, n, n - 4, n - 36, -1, -(2**127) - 1]))
            data[i : i + 32] = (value % 2**256).to_bytes(32, "big")
        elif kind == "small" and n >= 4 + 32:  # keeps the layout, changes a count or a value
            i = 4 + 32 * draw(st.integers(0, (n - 4) // 32 - 1))
            value = draw(st.integers(-(2**127), 2**127 - 1) | st.integers(-40, 40))
            data[i : i + 32] = (value % 2**256).to_bytes(32, "big")
        elif kind == "copy" and n >= 8:  # alias one region onto another
            src, dst = draw(st.integers(4, n - 1)), draw(st.integers(4, n - 1))
            size = draw(st.integers(1, 96))
            data[dst : dst + size] = data[src : src + size]
        elif kind == "cross":
            other = draw(st.sampled_from(SEEDS))
            cut = draw(st.integers(0, n))
            data = data[:cut] + other[draw(st.integers(0, len(other))) :]
        elif kind == "selector":
            data[:4] = draw(
                st.sampled_from([bytes.fromhex(h) for h in ("14800c61", "e39aa7e7", "00000000")])
                | st.binary(min_size=4, max_size=4)
            )
    return bytes(data)


INPUT_NAMES = {name: list(sample_input(name)) for name in EXAMPLES}


@st.composite
def structured(draw: st.DrawFn) -> bytes:
    """Well-formed requests with odd contents: these reach binding, conversion and the runtime."""
    model = draw(st.sampled_from([*EXAMPLES, "nope", ""]))
    names = INPUT_NAMES.get(model, ["input"])
    pick_name = st.sampled_from(names) | st.text(max_size=3)
    value = st.integers(-(10**6), 10**6) | st.integers(-(2**127), 2**127 - 1)
    number = st.tuples(value, st.integers(-20, 20) | st.integers(-2, 8))
    shapes = st.sampled_from([[10, 4], [1, 4], [2], [4], [1], [0], []]) | st.lists(
        st.integers(0, 5), max_size=3
    )
    numbers = []
    for _ in range(draw(st.integers(0, 2))):
        shape = draw(shapes)
        count = draw(st.sampled_from([int(np.prod(shape)), 0, 1, 3]))
        numbers.append(
            (draw(pick_name), draw(st.lists(number, min_size=count, max_size=count)), shape)
        )
    strings = [
        (
            draw(pick_name),
            draw(
                st.lists(
                    st.sampled_from(["good", "BAD", "", "é"]) | st.text(max_size=4), max_size=4
                )
            ),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    mode = draw(st.sampled_from([0, 1, 2, 3, 255]))
    return SELECTOR + encode([REQUEST_TYPE], [(mode, model, (numbers, strings))])


calldatas = st.one_of(
    mutated(),
    structured(),
    st.sampled_from(SEEDS),
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: SELECTOR + b),
    st.lists(st.sampled_from(INTERESTING_WORDS), max_size=12).map(
        lambda ws: SELECTOR + b"".join(w.to_bytes(32, "big") for w in ws)
    ),
)
gas_amounts = st.one_of(
    st.just(10_000_000),
    st.just(10_000_000),
    st.integers(0, 120_000),
    st.integers(gas.BASE - 2, gas.BASE + 2),
)


# --- fixtures -------------------------------------------------------------------------------------


def check_result(result: PrecompileResult, gas_available: int, static: bool = False) -> str:
    assert isinstance(result, PrecompileResult)
    assert 0 <= result.gas_used <= gas_available
    if gas_available >= gas.BASE:
        assert result.gas_used >= gas.BASE
    if result.out_of_gas:
        assert not result.reverted
        assert (result.output, result.logs, result.gas_used) == (b"", [], gas_available)
        return "out of gas"
    if result.reverted:
        assert result.output[:4] == ERROR_SELECTOR
        (reason,) = decode(["string"], result.output[4:])
        assert reason == result.reason and reason.startswith("OGInference: ")
        assert "internal error" not in reason, reason  # a Python exception was caught
        assert result.logs == []
        return "revert"
    decode([OUTPUT_TYPE], result.output)
    expected_logs = [] if static else [(F4, (TOPIC,))]  # a static frame must not log
    assert [(log.address, log.topics) for log in result.logs] == expected_logs
    return "success"


def test_seeds_succeed(engine: InferenceEngine) -> None:
    context = CallContext(SENDER, SENDER, 1, 1, 10_000_000)
    assert [check_result(run(s, context, engine), 10_000_000) for s in SEEDS] == ["success"] * len(
        SEEDS
    )


# --- run(...) directly ----------------------------------------------------------------------------


@settings(FUZZ, max_examples=3000)
@given(calldatas, gas_amounts, st.booleans())
def test_fuzz_run(engine: InferenceEngine, data: bytes, gas_available: int, static: bool) -> None:
    context = CallContext(SENDER, SENDER, 5, 1_700_000_000, gas_available, static)
    result = run(data, context, engine)
    event(check_result(result, gas_available, static))
    if result.reverted:
        event(" ".join(result.reason.split()[1:4]))


# --- the py-evm adapter on the AI chain -----------------------------------------------------------


@settings(FUZZ, max_examples=1000)
@given(calldatas, gas_amounts)
def test_fuzz_chain_adapter(
    engine: InferenceEngine, tester, data: bytes, gas_available: int
) -> None:
    """A message to 0xF4 through py-evm: errors map to Revert / OutOfGas, and agree with run()."""
    state = tester.backend.chain.get_vm().state
    origin = to_canonical_address(tester.get_accounts()[0])
    message = Message(
        gas=gas_available, to=F4, sender=origin, value=0, data=data, code=b"", code_address=F4
    )
    context = state.get_transaction_context_class()(gas_price=10**9, origin=origin)
    computation = state.computation_class.apply_message(state, message, context)

    expected = run(
        data,
        CallContext(origin, origin, state.block_number, state.timestamp, gas_available),
        engine,
    )
    outcome = check_result(expected, gas_available)
    event(outcome)
    assert computation.get_gas_used() == expected.gas_used
    if outcome == "success":
        assert computation.is_success
        assert computation.output == expected.output
        logs = computation.get_log_entries()
        assert [(a, tuple(t), d) for a, t, d in logs] == [
            (log.address, log.topics, log.data) for log in expected.logs
        ]
    elif outcome == "revert":
        assert isinstance(computation.error, Revert)
        assert computation.output == expected.output
        assert computation.get_log_entries() == ()
    else:
        assert isinstance(computation.error, OutOfGas)
        assert computation.output == b""
        assert computation.get_gas_remaining() == 0


@pytest.fixture(scope="module")
def signer():
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/1")


def tx_gas(data: bytes, execution: int) -> int:
    zeros = data.count(0)
    nonzeros = len(data) - zeros
    return max(21_000 + 4 * zeros + 16 * nonzeros + execution, 21_000 + 10 * (zeros + 4 * nonzeros))


@settings(FUZZ, max_examples=250)
@given(calldatas, st.one_of(st.just(2_000_000), st.integers(0, 120_000)))
def test_fuzz_raw_transactions(
    engine: InferenceEngine, tester, signer, data: bytes, extra: int
) -> None:
    intrinsic = tx_gas(data, 0)
    standard = 21_000 + 4 * data.count(0) + 16 * (len(data) - data.count(0))
    limit = intrinsic + extra
    raw = Account.sign_transaction(
        {
            "to": "0x00000000000000000000000000000000000000F4",
            "value": 0,
            "gas": limit,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 0,
            "nonce": tester.get_nonce(signer.address),
            "chainId": 1337,
            "data": data,
        },
        signer.key,
    ).raw_transaction
    receipt = tester.get_transaction_receipt(tester.send_raw_transaction("0x" + raw.hex()))
    sender = to_canonical_address(signer.address)
    available = limit - standard
    expected = run(data, CallContext(sender, sender, receipt["block_number"], 0, available), engine)
    outcome = check_result(expected, available)
    event(outcome)
    assert receipt["status"] == (1 if outcome == "success" else 0)
    if outcome == "out of gas":
        assert receipt["gas_used"] == limit
    else:
        assert receipt["gas_used"] == tx_gas(data, expected.gas_used)
    assert len(receipt["logs"]) == (1 if outcome == "success" else 0)
    assert receipt["gas_used"] >= 21_000 + min(available, gas.BASE)


def test_outcomes_are_all_reached(engine: InferenceEngine) -> None:
    """The fuzz inputs above do reach all three outcomes (a guard against a vacuous fuzz)."""
    context = CallContext(SENDER, SENDER, 5, 0, 10_000_000)
    seeds = {check_result(run(s, context, engine), 10_000_000) for s in SEEDS}
    broken = check_result(run(SEEDS[0][:-40], context, engine), 10_000_000)
    starved = check_result(run(SEEDS[0], CallContext(SENDER, SENDER, 5, 0, 30_000), engine), 30_000)
    assert (seeds, broken, starved) == ({"success"}, "revert", "out of gas")
