"""`eth_simulateV1`'s first parameter, parsed: blocks of calls with block and state overrides.

The execution-apis spec as geth implements it (internal/ethapi/simulate.go): at most 256
blocks (-38026 "too many blocks"), 5,000 calls a block and 10,000 in all, an empty list is
invalid. Stricter than geth in one way, as the node's other overrides are: an unknown field
anywhere is refused (geth's JSON decoding drops it silently, so a misspelt override would
simulate something else than asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ogkit.node.rpc import params as p
from ogkit.node.rpc.errors import InvalidParams, RpcError
from ogkit.node.rpc.overrides import StateOverrides, state_overrides

MAX_BLOCKS = 256
MAX_CALLS_PER_BLOCK = 5_000
MAX_CALLS = 10_000
MAX_WITHDRAWALS = 1_000
CLIENT_LIMIT_EXCEEDED = -38026
"""geth's code for a simulation over its limits (errors.go, `errCodeClientLimitExceeded`)."""

OPTION_FIELDS = frozenset(
    {"blockStateCalls", "validation", "traceTransfers", "returnFullTransactions"}
)
BLOCK_FIELDS = frozenset({"blockOverrides", "stateOverrides", "calls"})
OVERRIDE_FIELDS = frozenset(
    {
        "number",
        "difficulty",
        "time",
        "gasLimit",
        "feeRecipient",
        "prevRandao",
        "baseFeePerGas",
        "blobBaseFee",
        "beaconRoot",
        "withdrawals",
    }
)
CALL_FIELDS = frozenset(
    {
        "from",
        "to",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "value",
        "nonce",
        "data",
        "input",
        "accessList",
        "chainId",
        "type",
        "maxFeePerBlobGas",
    }
)
"""`maxFeePerBlobGas` without blobs: geth takes it and it changes nothing."""
UNSUPPORTED_CALL_FIELDS = frozenset(
    {"blobVersionedHashes", "blobs", "commitments", "proofs", "authorizationList"}
)
WITHDRAWAL_FIELDS = frozenset({"index", "validatorIndex", "address", "amount"})
MOVE_PRECOMPILE = "movePrecompileToAddress"


class ClientLimitExceeded(RpcError):
    def __init__(self, message: str) -> None:
        super().__init__(CLIENT_LIMIT_EXCEEDED, message)


@dataclass(frozen=True)
class Withdrawal:
    index: int
    validator_index: int
    address: bytes
    amount: int
    """In gwei."""


@dataclass(frozen=True)
class BlockOverrides:
    """A simulated block's header fields; None: the default geth gives it."""

    number: int | None = None
    difficulty: int | None = None
    time: int | None = None
    gas_limit: int | None = None
    fee_recipient: bytes | None = None
    prev_randao: bytes | None = None
    base_fee: int | None = None
    blob_base_fee: int | None = None
    beacon_root: bytes | None = None
    withdrawals: tuple[Withdrawal, ...] = ()


@dataclass(frozen=True)
class SimBlock:
    overrides: BlockOverrides = BlockOverrides()
    state: StateOverrides | None = None
    moves: dict[bytes, bytes] = field(default_factory=dict)
    """`movePrecompileToAddress`: precompile address -> where it runs in this block."""
    calls: tuple[p.TxParams, ...] = ()


@dataclass(frozen=True)
class SimRequest:
    blocks: tuple[SimBlock, ...]
    validation: bool = False
    trace_transfers: bool = False
    full_transactions: bool = False


def _object(value: Any, name: str, fields: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidParams(f"{name}: expected an object")
    unknown = sorted(set(value) - fields)
    if unknown:
        raise InvalidParams(f"{name}: unknown field {unknown[0][:40]!r}")
    return value


def _optional(value: dict[str, Any], key: str, parse: Any, *args: Any) -> Any:
    return parse(value[key], *args) if value.get(key) is not None else None


def _withdrawals(value: Any, name: str) -> tuple[Withdrawal, ...]:
    if not isinstance(value, list) or len(value) > MAX_WITHDRAWALS:
        raise InvalidParams(f"{name}: expected an array of at most {MAX_WITHDRAWALS} entries")
    out = []
    for i, entry in enumerate(value):
        item = _object(entry, f"{name}[{i}]", WITHDRAWAL_FIELDS)
        out.append(
            Withdrawal(
                index=p.quantity(item.get("index"), f"{name}[{i}].index", 2**64 - 1),
                validator_index=p.quantity(
                    item.get("validatorIndex"), f"{name}[{i}].validatorIndex", 2**64 - 1
                ),
                address=p.address(item.get("address"), f"{name}[{i}].address"),
                amount=p.quantity(item.get("amount"), f"{name}[{i}].amount", 2**64 - 1),
            )
        )
    return tuple(out)


def block_overrides(value: Any, name: str) -> BlockOverrides:
    if value is None:
        return BlockOverrides()
    o = _object(value, name, OVERRIDE_FIELDS)
    u64 = 2**64 - 1
    return BlockOverrides(
        number=_optional(o, "number", p.quantity, f"{name}.number", 2**63 - 1),
        difficulty=_optional(o, "difficulty", p.quantity, f"{name}.difficulty"),
        time=_optional(o, "time", p.quantity, f"{name}.time", u64),
        gas_limit=_optional(o, "gasLimit", p.quantity, f"{name}.gasLimit", u64),
        fee_recipient=_optional(o, "feeRecipient", p.address, f"{name}.feeRecipient"),
        prev_randao=_optional(o, "prevRandao", p.hash32, f"{name}.prevRandao"),
        base_fee=_optional(o, "baseFeePerGas", p.quantity, f"{name}.baseFeePerGas"),
        blob_base_fee=_optional(o, "blobBaseFee", p.quantity, f"{name}.blobBaseFee"),
        beacon_root=_optional(o, "beaconRoot", p.hash32, f"{name}.beaconRoot"),
        withdrawals=_withdrawals(o["withdrawals"], f"{name}.withdrawals")
        if o.get("withdrawals") is not None
        else (),
    )


def _state(value: Any, name: str) -> tuple[StateOverrides | None, dict[bytes, bytes]]:
    """The state overrides, and the precompile moves taken out of them (overrides.py
    serves `eth_call` too, which has no precompile map to move in)."""
    if not isinstance(value, dict):
        return state_overrides(value), {}
    moves: dict[bytes, bytes] = {}
    plain: dict[str, Any] = {}
    for key, account in value.items():
        if isinstance(account, dict) and account.get(MOVE_PRECOMPILE) is not None:
            source = p.address(key, f"{name} address")
            moves[source] = p.address(account[MOVE_PRECOMPILE], f"{name} {MOVE_PRECOMPILE}")
            account = {k: v for k, v in account.items() if k != MOVE_PRECOMPILE}
        elif isinstance(account, dict) and MOVE_PRECOMPILE in account:
            account = {k: v for k, v in account.items() if k != MOVE_PRECOMPILE}
        plain[key] = account
    return state_overrides(plain), moves


def call(value: Any, name: str) -> p.TxParams:
    if isinstance(value, dict):
        unsupported = sorted(
            k for k in set(value) & UNSUPPORTED_CALL_FIELDS if value[k] is not None
        )
        if value.get("maxFeePerBlobGas") is not None:
            p.quantity(value["maxFeePerBlobGas"], f"{name}.maxFeePerBlobGas")
        if unsupported:
            raise InvalidParams(
                f"{name}: {unsupported[0]} is not supported by ogkit node's eth_simulateV1"
            )
    return p.tx_params(_object(value, name, CALL_FIELDS | UNSUPPORTED_CALL_FIELDS), name)


def sim_block(value: Any, name: str) -> SimBlock:
    o = _object(value, name, BLOCK_FIELDS)
    calls = o.get("calls") or []
    if not isinstance(calls, list):
        raise InvalidParams(f"{name}.calls: expected an array")
    if len(calls) > MAX_CALLS_PER_BLOCK:
        raise ClientLimitExceeded(f"too many calls in block: {len(calls)} > {MAX_CALLS_PER_BLOCK}")
    state, moves = _state(o.get("stateOverrides"), f"{name}.stateOverrides")
    return SimBlock(
        overrides=block_overrides(o.get("blockOverrides"), f"{name}.blockOverrides"),
        state=state,
        moves=moves,
        calls=tuple(call(c, f"{name}.calls[{i}]") for i, c in enumerate(calls)),
    )


def sim_request(value: Any) -> SimRequest:
    """The whole first parameter; the limits are checked before anything else is parsed."""
    o = _object(value, "simulation", OPTION_FIELDS)
    blocks = o.get("blockStateCalls")
    if not isinstance(blocks, list):
        raise InvalidParams("simulation.blockStateCalls: expected an array")
    if not blocks:
        raise InvalidParams("empty input")
    if len(blocks) > MAX_BLOCKS:
        raise ClientLimitExceeded("too many blocks")
    total = sum(len(b["calls"]) for b in blocks if isinstance(b, dict) and _is_list(b, "calls"))
    if total > MAX_CALLS:
        raise ClientLimitExceeded(f"too many calls: {total} > {MAX_CALLS}")
    flags = {
        key: o.get(key) is not None and p.boolean(o[key], f"simulation.{key}")
        for key in ("validation", "traceTransfers", "returnFullTransactions")
    }
    return SimRequest(
        blocks=tuple(sim_block(b, f"blockStateCalls[{i}]") for i, b in enumerate(blocks)),
        validation=flags["validation"],
        trace_transfers=flags["traceTransfers"],
        full_transactions=flags["returnFullTransactions"],
    )


def _is_list(block: dict[str, Any], key: str) -> bool:
    return isinstance(block.get(key), list)
