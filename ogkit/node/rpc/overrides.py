"""geth's state overrides for `eth_call` and `eth_estimateGas` (their third parameter).

`{address: {balance, nonce, code, state | stateDiff}}`: the call runs as if the accounts
held these values; nothing is written (the call's state is thrown away). `state` replaces
the account's whole storage, `stateDiff` only the slots named; both at once is an error, as
in geth. Bounded so an override cannot make the node build a huge state for one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import InvalidParams

MAX_ACCOUNTS = 1_000
MAX_SLOTS = 10_000
"""Over every account of one override."""
MAX_CODE = 1 << 20
FIELDS = frozenset({"balance", "nonce", "code", "state", "stateDiff"})


@dataclass(frozen=True)
class AccountOverride:
    balance: int | None = None
    nonce: int | None = None
    code: bytes | None = None
    storage: dict[int, int] | None = None
    """`state`: the whole storage."""
    storage_diff: dict[int, int] | None = None
    """`stateDiff`: these slots only."""


StateOverrides = dict[bytes, AccountOverride]


def _slots(value: Any, name: str) -> dict[int, int]:
    if not isinstance(value, dict):
        raise InvalidParams(f"{name}: expected an object of slot -> value")
    return {
        int.from_bytes(p.hash32(slot, f"{name} slot"), "big"): int.from_bytes(
            p.hash32(word, f"{name} value"), "big"
        )
        for slot, word in value.items()
    }


def _account(value: Any, name: str) -> AccountOverride:
    if not isinstance(value, dict):
        raise InvalidParams(f"{name}: expected an object")
    unknown = sorted(set(value) - FIELDS)
    if unknown:
        raise InvalidParams(f"{name}: unknown field {unknown[0][:40]!r}")
    if "state" in value and "stateDiff" in value:
        raise InvalidParams(f"{name} has both 'state' and 'stateDiff'")
    code = p.data(value["code"], f"{name} code") if value.get("code") is not None else None
    if code is not None and len(code) > MAX_CODE:
        raise InvalidParams(f"{name} code of {len(code)} bytes exceeds {MAX_CODE}")
    return AccountOverride(
        balance=p.quantity(value["balance"], f"{name} balance")
        if value.get("balance") is not None
        else None,
        nonce=p.quantity(value["nonce"], f"{name} nonce", 2**64 - 1)
        if value.get("nonce") is not None
        else None,
        code=code,
        storage=_slots(value["state"], f"{name} state") if "state" in value else None,
        storage_diff=_slots(value["stateDiff"], f"{name} stateDiff")
        if "stateDiff" in value
        else None,
    )


def state_overrides(value: Any) -> StateOverrides | None:
    """The parsed third parameter; None when absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidParams("state overrides: expected an object of address -> override")
    if len(value) > MAX_ACCOUNTS:
        raise InvalidParams(f"state overrides: {len(value)} accounts exceed {MAX_ACCOUNTS}")
    out: StateOverrides = {}
    slots = 0
    for key, account in value.items():
        address = p.address(key, "state override address")
        parsed = _account(account, f"override of {str(key)[:42]}")
        slots += len(parsed.storage or ()) + len(parsed.storage_diff or ())
        if slots > MAX_SLOTS:
            raise InvalidParams(f"state overrides: more than {MAX_SLOTS} storage slots")
        out[address] = parsed
    return out


def apply(state: Any, overrides: StateOverrides | None) -> None:
    """Write the overrides into a py-evm state the caller has snapshotted."""
    for address, account in (overrides or {}).items():
        if account.balance is not None:
            state.set_balance(address, account.balance)
        if account.nonce is not None:
            state.set_nonce(address, account.nonce)
        if account.code is not None:
            state.set_code(address, account.code)
        if account.storage is not None:
            state.delete_storage(address)
        for slot, word in {**(account.storage or {}), **(account.storage_diff or {})}.items():
            state.set_storage(address, slot, word)
