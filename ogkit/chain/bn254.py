"""ecAdd (0x06), ecMul (0x07) and ecPairing (0x08) for py-evm, computed natively by revm.

py-evm computes these in pure Python (py_ecc): a Halo2Verifier's pairing takes ~1 s and each
of its ~44 ecMul calls ~4 ms, so settling a ZK proof on chain cost 1.4–1.8 s. revm (through
`pyrevm`) computes the same functions in Rust in milliseconds. Everything py-evm decides is
kept as py-evm 0.12 has it (`eth/precompiles/ecadd.py`, `ecmul.py`, `ecpairing.py`): the
gas (EIP-1108 prices, charged before computing; a pairing input whose length is not a
multiple of 192 fails before any is charged), the input's truncation and zero padding, and a
`VMError` with py-evm's own message for every input it rejects (off-curve points,
coordinates >= p, G2 points outside the subgroup), so the frame fails and its gas is
consumed as before. revm is asked only for the output bytes.

Should revm fail in any way other than rejecting the input, the call is computed by py-evm's
own py_ecc code instead (logged once): slower, never different.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

import pyrevm
from eth.abc import ComputationAPI
from eth.exceptions import VMError
from eth.precompiles.ecadd import _ecadd
from eth.precompiles.ecmul import _ecmull
from eth.precompiles.ecpairing import _ecpairing
from eth.vm.forks.istanbul.constants import (
    GAS_ECADD,
    GAS_ECMUL,
    GAS_ECPAIRING_BASE,
    GAS_ECPAIRING_PER_POINT,
)

log = logging.getLogger("ogkit.chain.bn254")

ECADD_ADDRESS = bytes(19) + b"\x06"
ECMUL_ADDRESS = bytes(19) + b"\x07"
ECPAIRING_ADDRESS = bytes(19) + b"\x08"
PAIR_SIZE = 192
"""Bytes of one (G1, G2) pair of ecPairing's input."""
RENEW_AFTER = 4096
"""revm's journal keeps ~400 bytes per `message_call` (its state is never committed): a
thread's EVM is replaced after this many calls (making one takes ~2 µs)."""
_CALLER = "0x" + "0b" * 20
_REJECTED = "PrecompileError"
"""What revm's halt says when the precompile refuses its input."""


class _Revm(threading.local):
    """One revm EVM per thread, made on first use: a pyrevm object is borrowed mutably by
    `message_call`, so two threads (the node's, the in-process chain's) must not share one."""

    evm: pyrevm.EVM | None = None
    calls: int = 0


_revm = _Revm()
_fell_back = threading.Event()


class _Refused(Exception):
    """revm rejected the input."""


def _revm_call(address: bytes, data: bytes) -> bytes:
    """The precompile's output from revm; `_Refused` when it rejects the input."""
    if _revm.evm is None or _revm.calls >= RENEW_AFTER:
        _revm.evm, _revm.calls = pyrevm.EVM(spec_id="CANCUN"), 0
    _revm.calls += 1
    try:
        return bytes(_revm.evm.message_call(caller=_CALLER, to="0x" + address.hex(), calldata=data))
    except RuntimeError as exc:
        if _REJECTED in str(exc):
            raise _Refused from None
        raise


def _computed(
    address: bytes, data: bytes, reason: str, fallback: Callable[[bytes], bytes]
) -> bytes:
    """revm's output for `data`; `VMError(reason)` when the input is invalid."""
    try:
        return _revm_call(address, data)
    except _Refused:
        raise VMError(reason) from None
    except Exception as exc:  # noqa: BLE001 - revm itself failed: py-evm's own code answers
        if not _fell_back.is_set():
            _fell_back.set()
            log.warning("revm failed on 0x%s (%r); computing with py_ecc", address.hex(), exc)
    try:
        return fallback(data)
    except Exception:  # noqa: BLE001 - py-evm's ValidationError, or anything py_ecc raises
        raise VMError(reason) from None


def _point_bytes(point: tuple) -> bytes:
    x, y = point
    return x.n.to_bytes(32, "big") + y.n.to_bytes(32, "big")


def _py_ecadd(data: bytes) -> bytes:
    return _point_bytes(_ecadd(data))


def _py_ecmul(data: bytes) -> bytes:
    return _point_bytes(_ecmull(data))


def _py_ecpairing(data: bytes) -> bytes:
    return bytes(31) + (b"\x01" if _ecpairing(data) else b"\x00")


def ecadd(computation: ComputationAPI, gas_cost: int = GAS_ECADD) -> ComputationAPI:
    """py-evm's `ecadd`: the first 128 bytes, right-padded with zeros."""
    computation.consume_gas(gas_cost, reason="ECADD Precompile")
    data = bytes(computation.msg.data_as_bytes[:128])
    computation.output = _computed(ECADD_ADDRESS, data, "Invalid ECADD parameters", _py_ecadd)
    return computation


def ecmul(computation: ComputationAPI, gas_cost: int = GAS_ECMUL) -> ComputationAPI:
    """py-evm's `ecmul`: the first 96 bytes, right-padded with zeros."""
    computation.consume_gas(gas_cost, reason="ECMUL Precompile")
    data = bytes(computation.msg.data_as_bytes[:96])
    computation.output = _computed(ECMUL_ADDRESS, data, "Invalid ECMUL parameters", _py_ecmul)
    return computation


def ecpairing(
    computation: ComputationAPI,
    gas_cost_base: int = GAS_ECPAIRING_BASE,
    gas_cost_per_point: int = GAS_ECPAIRING_PER_POINT,
) -> ComputationAPI:
    """py-evm's `ecpairing`: a length that is not a multiple of 192 fails before gas."""
    data = bytes(computation.msg.data_as_bytes)
    if len(data) % PAIR_SIZE:
        raise VMError("Invalid ECPAIRING parameters")
    gas_fee = gas_cost_base + len(data) // PAIR_SIZE * gas_cost_per_point
    computation.consume_gas(gas_fee, reason="ECPAIRING Precompile")
    computation.output = _computed(
        ECPAIRING_ADDRESS, data, "Invalid ECPAIRING parameters", _py_ecpairing
    )
    return computation


NATIVE_BN254: dict[bytes, Callable[[ComputationAPI], ComputationAPI]] = {
    ECADD_ADDRESS: partial(ecadd, gas_cost=GAS_ECADD),
    ECMUL_ADDRESS: partial(ecmul, gas_cost=GAS_ECMUL),
    ECPAIRING_ADDRESS: partial(
        ecpairing, gas_cost_base=GAS_ECPAIRING_BASE, gas_cost_per_point=GAS_ECPAIRING_PER_POINT
    ),
}
"""0x06–0x08 at Istanbul's (EIP-1108) prices, as Prague binds py-evm's own."""
