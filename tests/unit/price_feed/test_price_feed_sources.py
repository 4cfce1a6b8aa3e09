"""The price sources behind OGHistorical: the sample series (deterministic, cyclic, sane, no
history before its epoch), the CSV named by OGKIT_PRICE_CSV, and CSV format errors that name
the line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from price_feed_support import HOUR, write_csv

from ogkit.pricefeed import CsvFormatError, CsvPriceSource, SamplePriceSource, default_price_feed
from ogkit.pricefeed import sample as sample_module
from precompiles.host import NotEnoughHistory

# --- sources ---------------------------------------------------------------------------------


def test_sample_series_is_deterministic_cyclic_and_sane() -> None:
    source = SamplePriceSource()
    now = 1_790_000_000
    first = source.candles("ETH", "USD", 60, 50, now)
    assert first == SamplePriceSource().candles("ETH", "USD", 60, 50, now)
    assert all(b.open_time - a.open_time == HOUR for a, b in zip(first, first[1:], strict=False))
    assert first[-1].close_time <= now < first[-1].close_time + HOUR
    cycle = sample_module.CYCLE * HOUR
    again = source.candles("ETH", "USD", 60, 50, now + cycle)
    assert [c.open_time - cycle for c in again] == [c.open_time for c in first]
    assert [(c.open, c.high, c.low, c.close, c.volume) for c in again] == [
        (c.open, c.high, c.low, c.close, c.volume) for c in first
    ]
    for pair in sample_module.PAIRS:
        for duration in sample_module.DURATIONS_MINS:
            base, quote = pair.split("/")
            for c in source.candles(base, quote, duration, 20, now):
                o, h, lo, cl = (Decimal(v).scaleb(-d) for v, d in (c.open, c.high, c.low, c.close))
                assert 0 < lo <= min(o, cl) <= max(o, cl) <= h
    # The seam between cycles is smooth: the last close of a cycle is the first open.
    rows = sample_module._cycle("ETH/USD", 60)
    assert rows[-1][3] == rows[0][0]


def test_sample_has_no_history_before_its_epoch() -> None:
    with pytest.raises(NotEnoughHistory):
        SamplePriceSource().candles("ETH", "USD", 60, 2, sample_module.EPOCH + HOUR)


def test_default_feed_reads_the_env_csv(tmp_path, monkeypatch) -> None:
    path = write_csv(tmp_path / "env.csv")
    monkeypatch.setenv("OGKIT_PRICE_CSV", str(path))
    node = default_price_feed()
    assert node.pairs() == ["BTC/USD", "ETH/USD"]
    assert default_price_feed() is node
    monkeypatch.delenv("OGKIT_PRICE_CSV")
    assert isinstance(default_price_feed().sources[0], SamplePriceSource)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("pair,timestamp,open\n", "missing column(s) duration_mins, high, low, close, volume"),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\nETHUSD,1,60,1,1,1,1,1\n",
            ":2: pair 'ETHUSD' is not BASE/QUOTE",
        ),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\nETH/USD,1,60,1,0.5,1,1,1\n",
            ":2: needs low <= open, close <= high",
        ),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\nETH/USD,x,60,1,1,1,1,1\n",
            ":2: invalid literal",
        ),
        (
            "pair,timestamp,duration_mins,open,high,low,close,volume\n"
            "ETH/USD,1,60,1,1,1,1,1\neth/usd,1,60,1,1,1,1,1\n",
            ":3: duplicate candle ETH/USD (60, 1)",
        ),
    ],
)
def test_csv_format_errors_name_the_line(tmp_path, text, error) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CsvFormatError) as info:
        CsvPriceSource.load(path)
    assert error in str(info.value)
