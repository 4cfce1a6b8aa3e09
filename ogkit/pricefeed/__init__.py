"""The local price data node behind OGHistorical (0xF5).

Candles come from a CSV file (`OGKIT_PRICE_CSV`, `opengradient.price_csv` in ape-config.yaml,
or `ogkit node --price-csv`) or, by default, from the shipped SYNTHETIC sample series.
"""

from __future__ import annotations

import os
from pathlib import Path

from ogkit.pricefeed.csv_source import COLUMNS, CsvFormatError, CsvPriceSource
from ogkit.pricefeed.keys import PRICE_FEED_KEY_ENV, PriceFeedKeyError, load_price_feed_key
from ogkit.pricefeed.node import (
    DEV_SIGNING_KEY,
    PriceDataNode,
    PriceFeedRecord,
    record_digest,
    record_json,
    recover_signer,
)
from ogkit.pricefeed.sample import SamplePriceSource

PRICE_CSV_ENV = "OGKIT_PRICE_CSV"

_nodes: dict[tuple[str, bytes], PriceDataNode] = {}


def default_price_feed(
    csv_path: Path | str | None = None, signing_key: bytes | None = None
) -> PriceDataNode:
    """One data node per source and signing key per process: the CSV at `csv_path`, else
    `$OGKIT_PRICE_CSV`, else the synthetic sample; signed with `signing_key`, else the
    public dev key (`ogkit.pricefeed.keys`)."""
    chosen = csv_path or os.environ.get(PRICE_CSV_ENV) or None
    source_key = str(Path(chosen).resolve()) if chosen else "sample"
    key = signing_key or DEV_SIGNING_KEY
    node = _nodes.get((source_key, key))
    if node is None:
        source = CsvPriceSource.load(source_key) if chosen else SamplePriceSource()
        node = _nodes[(source_key, key)] = PriceDataNode(source, signing_key=key)
    return node


__all__ = [
    "COLUMNS",
    "DEV_SIGNING_KEY",
    "PRICE_CSV_ENV",
    "PRICE_FEED_KEY_ENV",
    "CsvFormatError",
    "CsvPriceSource",
    "PriceDataNode",
    "PriceFeedKeyError",
    "PriceFeedRecord",
    "SamplePriceSource",
    "default_price_feed",
    "load_price_feed_key",
    "record_digest",
    "record_json",
    "recover_signer",
]
