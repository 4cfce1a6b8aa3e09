"""Parsing JSON-RPC params into Python values; anything malformed is `InvalidParams`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ogkit.chain.callframes import TraceOptions
from ogkit.node.rpc.errors import InvalidParams

UINT256_MAX = 2**256 - 1
BLOCK_TAGS = ("latest", "earliest", "pending", "safe", "finalized")


def _hex_body(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidParams(f"{name}: expected a 0x-prefixed hex string, got {_kind(value)}")
    if not (value.startswith("0x") or value.startswith("0X")):
        raise InvalidParams(f"{name}: hex string without 0x prefix")
    return value[2:]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def quantity(value: Any, name: str = "quantity", maximum: int = UINT256_MAX) -> int:
    """A hex QUANTITY ("0x1a"); plain non-negative JSON integers are accepted too."""
    if isinstance(value, bool):
        raise InvalidParams(f"{name}: expected a hex quantity, got a boolean")
    if isinstance(value, int):
        number = value
    else:
        body = _hex_body(value, name)
        if not body or len(body) > 64:
            raise InvalidParams(f"{name}: invalid hex quantity {value[:80]!r}")
        try:
            number = int(body, 16)
        except ValueError:
            raise InvalidParams(f"{name}: invalid hex quantity {value[:80]!r}") from None
    if number < 0 or number > maximum:
        raise InvalidParams(f"{name}: {number} is out of range")
    return number


def data(value: Any, name: str = "data") -> bytes:
    body = _hex_body(value, name)
    if len(body) % 2:
        raise InvalidParams(f"{name}: hex string of odd length")
    try:
        return bytes.fromhex(body)
    except ValueError:
        raise InvalidParams(f"{name}: invalid hex data") from None


def fixed_bytes(value: Any, size: int, name: str) -> bytes:
    raw = data(value, name)
    if len(raw) != size:
        raise InvalidParams(f"{name}: expected {size} bytes, got {len(raw)}")
    return raw


def address(value: Any, name: str = "address") -> bytes:
    return fixed_bytes(value, 20, name)


def hash32(value: Any, name: str = "hash") -> bytes:
    return fixed_bytes(value, 32, name)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParams(f"{name}: expected a boolean, got {_kind(value)}")
    return value


@dataclass(frozen=True)
class BlockRef:
    """A block parameter: a tag, a number, or (EIP-1898) a hash."""

    tag: str | None = None
    number: int | None = None
    hash: bytes | None = None
    require_canonical: bool = False


LATEST = BlockRef(tag="latest")


def block_ref(value: Any, name: str = "block", allow_hash: bool = True) -> BlockRef:
    if value is None:
        return LATEST
    if isinstance(value, str) and value in BLOCK_TAGS:
        return BlockRef(tag=value)
    if isinstance(value, dict) and allow_hash:
        if "blockHash" in value:
            canonical = value.get("requireCanonical", False)
            return BlockRef(
                hash=hash32(value["blockHash"], f"{name}.blockHash"),
                require_canonical=boolean(canonical, f"{name}.requireCanonical"),
            )
        if "blockNumber" in value:
            return block_ref(value["blockNumber"], name, allow_hash=False)
        raise InvalidParams(f"{name}: expected blockNumber or blockHash")
    if isinstance(value, str) and not value.startswith(("0x", "0X")):
        raise InvalidParams(f"{name}: unknown block tag {value[:40]!r}")
    return BlockRef(number=quantity(value, name, maximum=2**63 - 1))


@dataclass
class TxParams:
    """A transaction or call object (`eth_call`, `eth_estimateGas`, `eth_sendTransaction`)."""

    sender: bytes | None = None
    to: bytes | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""
    nonce: int | None = None
    chain_id: int | None = None
    type: int | None = None
    access_list: list[tuple[bytes, list[int]]] = field(default_factory=list)


def tx_params(value: Any, name: str = "transaction") -> TxParams:
    if not isinstance(value, dict):
        raise InvalidParams(f"{name}: expected an object, got {_kind(value)}")
    tx = TxParams()
    if value.get("from") is not None:
        tx.sender = address(value["from"], f"{name}.from")
    if value.get("to") is not None:
        tx.to = address(value["to"], f"{name}.to")
    for key, attr in (
        ("gas", "gas"),
        ("gasPrice", "gas_price"),
        ("maxFeePerGas", "max_fee_per_gas"),
        ("maxPriorityFeePerGas", "max_priority_fee_per_gas"),
        ("nonce", "nonce"),
        ("chainId", "chain_id"),
        ("type", "type"),
    ):
        if value.get(key) is not None:
            maximum = 2**64 - 1 if key in ("gas", "nonce", "type") else UINT256_MAX
            setattr(tx, attr, quantity(value[key], f"{name}.{key}", maximum))
    if value.get("value") is not None:
        tx.value = quantity(value["value"], f"{name}.value")
    payload = value.get("input")
    if payload is None:
        payload = value.get("data")
    elif value.get("data") is not None and value["data"] != payload:
        raise InvalidParams(f"{name}: both input and data given, and they differ")
    if payload is not None:
        tx.data = data(payload, f"{name}.input")
    if value.get("accessList") is not None:
        tx.access_list = access_list(value["accessList"], f"{name}.accessList")
    return tx


def access_list(value: Any, name: str) -> list[tuple[bytes, list[int]]]:
    if not isinstance(value, list):
        raise InvalidParams(f"{name}: expected an array")
    entries = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise InvalidParams(f"{name}[{i}]: expected an object")
        keys = entry.get("storageKeys") or []
        if not isinstance(keys, list):
            raise InvalidParams(f"{name}[{i}].storageKeys: expected an array")
        entries.append(
            (
                address(entry.get("address"), f"{name}[{i}].address"),
                [int.from_bytes(hash32(k, f"{name}[{i}].storageKeys"), "big") for k in keys],
            )
        )
    return entries


@dataclass
class LogFilter:
    from_block: BlockRef | None = None
    to_block: BlockRef | None = None
    block_hash: bytes | None = None
    addresses: list[bytes] = field(default_factory=list)
    topics: list[list[bytes] | None] = field(default_factory=list)
    """Per position: None (any) or a list of alternatives."""


def log_filter(value: Any, name: str = "filter") -> LogFilter:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidParams(f"{name}: expected an object, got {_kind(value)}")
    result = LogFilter()
    if value.get("blockHash") is not None:
        if value.get("fromBlock") is not None or value.get("toBlock") is not None:
            raise InvalidParams(f"{name}: blockHash cannot be combined with fromBlock/toBlock")
        result.block_hash = hash32(value["blockHash"], f"{name}.blockHash")
    else:
        if value.get("fromBlock") is not None:
            result.from_block = block_ref(value["fromBlock"], f"{name}.fromBlock", False)
        if value.get("toBlock") is not None:
            result.to_block = block_ref(value["toBlock"], f"{name}.toBlock", False)
    addresses = value.get("address")
    if isinstance(addresses, list):
        result.addresses = [address(a, f"{name}.address") for a in addresses]
    elif addresses is not None:
        result.addresses = [address(addresses, f"{name}.address")]
    topics = value.get("topics")
    if topics is not None:
        if not isinstance(topics, list):
            raise InvalidParams(f"{name}.topics: expected an array")
        if len(topics) > 4:
            raise InvalidParams(f"{name}.topics: at most 4 positions")
        for i, topic in enumerate(topics):
            if topic is None:
                result.topics.append(None)
            elif isinstance(topic, list):
                if not topic:
                    result.topics.append(None)
                else:
                    result.topics.append([hash32(t, f"{name}.topics[{i}]") for t in topic])
            else:
                result.topics.append([hash32(topic, f"{name}.topics[{i}]")])
    return result


class Args:
    """Positional params of one request, with arity checks."""

    def __init__(self, params: Any, method: str, minimum: int = 0, maximum: int = 0) -> None:
        if params is None:
            params = []
        if not isinstance(params, list):
            raise InvalidParams(f"{method}: params must be an array")
        if len(params) < minimum:
            raise InvalidParams(
                f"{method}: expected at least {minimum} param(s), got {len(params)}"
            )
        if len(params) > maximum:
            raise InvalidParams(f"{method}: expected at most {maximum} param(s), got {len(params)}")
        self.params = params

    def __getitem__(self, index: int) -> Any:
        return self.params[index] if index < len(self.params) else None

    def __len__(self) -> int:
        return len(self.params)


def trace_options(value: Any, method: str) -> TraceOptions:
    """`callTracer`'s options object of `debug_trace*` (the struct logger's:
    methods/debug.py `tracer_options`)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidParams(f"{method}: the trace options must be an object")
    tracer = value.get("tracer")
    if tracer != "callTracer":
        raise InvalidParams(
            f'{method}: tracer {str(tracer)[:40]!r} is not supported; use "callTracer"'
        )
    for key in ("stateOverrides", "blockOverrides"):
        if value.get(key) is not None:
            raise InvalidParams(f"{method}: {key} are not supported")
    config = value.get("tracerConfig") or {}
    if not isinstance(config, dict):
        raise InvalidParams(f"{method}: tracerConfig must be an object")
    flags = {}
    for key in ("onlyTopCall", "withLog"):
        flag = config.get(key, False)
        if not isinstance(flag, bool):
            raise InvalidParams(f"{method}: tracerConfig.{key} must be a boolean")
        flags[key] = flag
    return TraceOptions(only_top_call=flags["onlyTopCall"], with_log=flags["withLog"])
