"""The local price data node behind OGHistorical (0xF5).

Candles come from a CSV file (`OGKIT_PRICE_CSV`, `opengradient.price_csv` in ape-config.yaml,
or `ogkit node --price-csv`) or, by default, from the shipped SYNTHETIC sample series.
"""

from __future__ import annotations

import os
from pathlib import Path

from ogkit.pricefeed.csv_source import COLUMNS, CsvFormatError, CsvPriceSource
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

_nodes: dict[str, PriceDataNode] = {}


def default_price_feed(csv_path: Path | str | None = None) -> PriceDataNode:
    """One data node per source per process: the CSV at `csv_path`, else `$OGKIT_PRICE_CSV`,
    else the synthetic sample."""
    chosen = csv_path or os.environ.get(PRICE_CSV_ENV) or None
    key = str(Path(chosen).resolve()) if chosen else "sample"
    node = _nodes.get(key)
    if node is None:
        source = CsvPriceSource.load(key) if chosen else SamplePriceSource()
        node = _nodes[key] = PriceDataNode(source)
    return node


__all__ = [
    "COLUMNS",
    "DEV_SIGNING_KEY",
    "PRICE_CSV_ENV",
    "CsvFormatError",
    "CsvPriceSource",
    "PriceDataNode",
    "PriceFeedRecord",
    "SamplePriceSource",
    "default_price_feed",
    "record_digest",
    "record_json",
    "recover_signer",
]
