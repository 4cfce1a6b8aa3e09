"""The OGHistorical tests' data node: a PriceDataNode over the 12-candle CSV of
price_feed_support, one per module."""

from __future__ import annotations

import pytest
from price_feed_support import write_csv

from ogkit.pricefeed import CsvPriceSource, PriceDataNode


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> PriceDataNode:
    path = write_csv(tmp_path_factory.mktemp("csv") / "candles.csv")
    return PriceDataNode(CsvPriceSource.load(path))
