"""The 0xF4 precompile's gas: the schedule is the documented one, and a call short of gas runs
out like the EVM (all of it burnt, no log, no record), from Python, on chain and from a
calling contract that carries on."""

from __future__ import annotations

import pytest
from eth_tester.exceptions import TransactionFailed
from precompile_support import (
    G_BASE,
    G_BYTE,
    G_IN,
    G_KIB,
    G_LOG,
    G_LOG_BYTE,
    G_OUT,
    G_TOPIC,
    GOOD,
    ORIGIN,
    SENDER,
    Env,
    calldata,
    context,
    demo,
    request,
    sample_request,
    tx_gas,
)

from precompiles import gas
from precompiles.host import CallContext
from precompiles.inference.precompile import run


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
