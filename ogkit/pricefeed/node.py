"""The local price data node: serves candles to 0xF5 and signs every result it served.

Record digest (what the signature covers):

    candles_hash = keccak256(abi.encode(
        (uint64 open_time, (int128,int128) open, high, low, close, volume)[] candles))
                                             # oldest first, Numbers as served
    digest = keccak256(abi.encode(string pair, uint32 duration_mins, uint256 block_number,
                                  uint256 block_timestamp, bytes32 candles_hash))

signed as an EIP-191 personal message over the 32 bytes of `digest` (so eth-account's
`recover_message(encode_defunct(primitive=digest), signature=...)` and OpenZeppelin's
`ECDSA.recover(MessageHashUtils.toEthSignedMessageHash(digest), sig)` both verify it) by the
node's secp256k1 key, whose address is `PriceDataNode.address`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from precompiles.historical.types import HistoricalInputQuery
from precompiles.host import CallContext, Candle, UnknownPair

DEV_SIGNING_KEY = keccak(b"ogkit price feed dev signing key")
"""The default key: public, deterministic, for local development ONLY."""
MAX_RECORDS = 10_000
_CANDLES_ABI = (
    "(uint64,(int128,int128),(int128,int128),(int128,int128),(int128,int128),(int128,int128))[]"
)


class CandleSource(Protocol):
    name: str

    def pairs(self) -> list[str]: ...

    def candles(
        self, base: str, quote: str, duration_mins: int, count: int, timestamp: int
    ) -> tuple[Candle, ...]: ...


@dataclass(frozen=True)
class PriceFeedRecord:
    """One query result the node served, with its signature."""

    digest: bytes
    pair: str
    duration_mins: int
    block_number: int
    block_timestamp: int
    candles: tuple[Candle, ...]
    signature: bytes
    signer: str


def candles_hash(candles: tuple[Candle, ...]) -> bytes:
    rows = [(c.open_time, c.open, c.high, c.low, c.close, c.volume) for c in candles]
    return keccak(encode([_CANDLES_ABI], [rows]))


def record_digest(
    pair: str,
    duration_mins: int,
    block_number: int,
    block_timestamp: int,
    candles: tuple[Candle, ...],
) -> bytes:
    return keccak(
        encode(
            ["string", "uint32", "uint256", "uint256", "bytes32"],
            [pair, duration_mins, block_number, block_timestamp, candles_hash(candles)],
        )
    )


def recover_signer(record: PriceFeedRecord) -> str:
    """The address that signed `record` (check it against the node's published address)."""
    digest = record_digest(
        record.pair,
        record.duration_mins,
        record.block_number,
        record.block_timestamp,
        record.candles,
    )
    return Account.recover_message(encode_defunct(primitive=digest), signature=record.signature)


def record_json(record: PriceFeedRecord) -> dict:
    """A record as JSON-RPC returns it (`ogkit_getPriceFeedRecords`): hex bytes, Numbers as
    {value, decimals} with the value as a decimal string (int128 exceeds JSON's safe range)."""

    def num(n: tuple[int, int]) -> dict:
        return {"value": str(n[0]), "decimals": n[1]}

    return {
        "digest": "0x" + record.digest.hex(),
        "pair": record.pair,
        "durationMins": record.duration_mins,
        "blockNumber": hex(record.block_number),
        "blockTimestamp": hex(record.block_timestamp),
        "candles": [
            {
                "openTime": c.open_time,
                "open": num(c.open),
                "high": num(c.high),
                "low": num(c.low),
                "close": num(c.close),
                "volume": num(c.volume),
            }
            for c in record.candles
        ],
        "signature": "0x" + record.signature.hex(),
        "signer": record.signer,
    }


class PriceDataNode:
    """The `PriceFeedBackend` the chain hands to 0xF5: a candle source plus signed records."""

    def __init__(self, *sources: CandleSource, signing_key: bytes = DEV_SIGNING_KEY) -> None:
        self.sources: list[CandleSource] = list(sources)
        """Asked in order: the first that knows a pair serves it."""
        self._account = Account.from_key(signing_key)
        self._records: OrderedDict[bytes, PriceFeedRecord] = OrderedDict()
        self._served: OrderedDict[tuple[str, int, int, int], tuple[Candle, ...]] = OrderedDict()
        """Last candles recorded per (pair, duration, block, time): a replay's quick check."""
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        """The published address whose key signs every record."""
        return self._account.address

    def add_source(self, source: CandleSource) -> None:
        """Serve `source`'s pairs too (after the current sources). Sources are only ever added:
        removing one would change what blocks already executed replay to."""
        self.sources.append(source)

    def pairs(self) -> list[str]:
        return sorted({pair for source in self.sources for pair in source.pairs()})

    def candles(
        self, base: str, quote: str, duration_mins: int, count: int, timestamp: int
    ) -> tuple[Candle, ...]:
        pair = f"{base}/{quote}".upper()
        for source in self.sources:
            if pair in source.pairs():
                return source.candles(base, quote, duration_mins, count, timestamp)
        raise UnknownPair(f"unknown pair {base}/{quote}; known: {', '.join(self.pairs())}")

    def record(
        self, query: HistoricalInputQuery, candles: tuple[Candle, ...], context: CallContext
    ) -> None:
        pair = query.pair.upper()
        served = (pair, query.candle_duration_in_mins, context.block_number, context.timestamp)
        if self._served.get(served) == candles:  # replays, estimates, eth_call of one block
            return
        digest = record_digest(*served, candles)
        if digest in self._records:
            return
        signed = self._account.sign_message(encode_defunct(primitive=digest))
        entry = PriceFeedRecord(
            digest,
            pair,
            query.candle_duration_in_mins,
            context.block_number,
            context.timestamp,
            candles,
            bytes(signed.signature),
            self.address,
        )
        with self._lock:
            self._records[digest] = entry
            self._served[served] = candles
            while len(self._records) > MAX_RECORDS:
                self._records.popitem(last=False)
            while len(self._served) > MAX_RECORDS:
                self._served.popitem(last=False)

    def forget_after(self, block_number: int) -> int:
        """Drop the records of blocks after `block_number` (a snapshot revert or head reset
        removed them, as the record book does), and what a replay would skip on, so a block
        made again is recorded again; returns how many records went."""
        with self._lock:
            gone = [d for d, r in self._records.items() if r.block_number > block_number]
            for digest in gone:
                del self._records[digest]
            for served in [s for s in self._served if s[2] > block_number]:
                del self._served[served]
        return len(gone)

    def get_record(self, digest: bytes) -> PriceFeedRecord | None:
        return self._records.get(digest)

    def records(self, block_number: int | None = None) -> list[PriceFeedRecord]:
        """Records in the order served, optionally only those of one block."""
        with self._lock:
            records = list(self._records.values())
        if block_number is None:
            return records
        return [r for r in records if r.block_number == block_number]
