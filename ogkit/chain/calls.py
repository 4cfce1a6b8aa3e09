"""eth-tester's `eth_call` at a given header, for `AIBackendMixin.call` (backend.py).

`PyEVMBackend.call` finds the state to run on by building blocks: the pending one (twice) and
the latest one, transactions and all, to read one header. The backend keeps that header at
hand (`latest_header`), so a call runs on it directly; everything else is eth-tester's code
(normalisation, the sender spoofed, a snapshot of the state reverted after the run, the
reason it raises)."""

from __future__ import annotations

from typing import Any

from eth.vm.spoof import SpoofTransaction
from eth_abi import abi
from eth_abi.exceptions import DecodingError
from eth_tester.exceptions import TransactionFailed


def call_at(backend: Any, transaction: dict, header: Any) -> Any:
    """The computation of `transaction` (eth-tester's raw call dict) run on `header`'s state,
    which is left as it was."""
    chain = backend.chain
    defaulted = dict(transaction)
    if "gas" not in defaulted:  # eth-tester's `_max_available_gas`, from the pending header
        pending = chain.header
        defaulted["gas"] = pending.gas_limit - pending.gas_used
    unsigned = backend._get_normalized_and_unsigned_evm_transaction(defaulted, "latest")
    spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
    state = chain.get_vm(at_header=header).state
    snapshot = state.snapshot()
    computation = state.apply_transaction(spoofed)
    state.revert(snapshot)
    return computation


def call_failure(backend: Any, error: Exception) -> TransactionFailed:
    """What `PyEVMBackend.call` raises for a call that ended in `error`: an EIP-838
    `Error(string)` reason decoded, else the error's text."""
    message = str(error)
    if backend.is_eip838_error(error):
        try:
            message = abi.decode(["string"], error.args[0][4:])[0]
        except DecodingError:
            pass
    return TransactionFailed(message)


__all__ = ["call_at", "call_failure"]
