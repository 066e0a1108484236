"""Tests for the deterministic LOCAL sample-data generator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sample_data import generate_sample_data, main, write_sample_data

N_EVENTS = 2000
TS = "datetime64[us, UTC]"

EXPECTED_COLUMNS: dict[str, dict[str, str]] = {
    "events": {
        "user_id": "str",
        "product_id": "str",
        "session_id": "str",
        "event_timestamp": TS,
        "grp": "str",
        "outcome": "int64",
        "converted": "int64",
        "order_value": "float64",
    },
    "user_demographics": {
        "user_id": "str",
        "age": "int64",
        "country_code": "str",
        "feature_timestamp": TS,
    },
    "user_purchase_summary": {
        "user_id": "str",
        "ltv": "float64",
        "total_purchase_count": "int64",
        "feature_timestamp": TS,
    },
    "product_details": {
        "product_id": "str",
        "price": "float64",
        "category": "str",
        "brand": "str",
        "feature_timestamp": TS,
    },
    "session_summary": {
        "session_id": "str",
        "time_on_page_seconds": "float64",
        "click_count": "int64",
        "feature_timestamp": TS,
    },
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """Sample data generated once for the whole module."""
    return generate_sample_data(n_events=N_EVENTS, seed=7)


def _check_schema(name: str, frame: pd.DataFrame) -> None:
    """Assert that ``frame`` has exactly the expected columns and dtypes."""
    expected = EXPECTED_COLUMNS[name]
    assert list(frame.columns) == list(expected), name
    for column, dtype in expected.items():
        series = frame[column]
        if dtype == "str":
            assert pd.api.types.is_string_dtype(series), (name, column)
            assert series.map(type).eq(str).all(), (name, column)
        else:
            assert str(series.dtype) == dtype, (name, column, series.dtype)
        assert series.notna().all(), (name, column)


def test_deterministic(frames: dict[str, pd.DataFrame]) -> None:
    """Same arguments give identical frames; another seed gives different ones."""
    again = generate_sample_data(n_events=N_EVENTS, seed=7)
    assert set(again) == set(frames)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate_sample_data(n_events=N_EVENTS, seed=8)
    assert not other["events"].equals(frames["events"])


def test_schema(frames: dict[str, pd.DataFrame]) -> None:
    """Frame names, columns and dtypes (incl. tz-aware UTC us timestamps)."""
    assert set(frames) == set(EXPECTED_COLUMNS)
    for name, frame in frames.items():
        _check_schema(name, frame)


def test_events_spine(frames: dict[str, pd.DataFrame]) -> None:
    """Events: row count, id formats, ordering, date range and value domains."""
    events = frames["events"]
    assert len(events) == N_EVENTS
    assert events["session_id"].is_unique
    assert events["event_timestamp"].is_monotonic_increasing
    assert events.index.equals(pd.RangeIndex(N_EVENTS))
    assert events["user_id"].str.fullmatch(r"u\d{5}").all()
    assert events["product_id"].str.fullmatch(r"p\d{4}").all()
    assert events["session_id"].str.fullmatch(r"s\d{7}").all()
    assert events["event_timestamp"].min() >= pd.Timestamp("2025-01-01", tz="UTC")
    assert events["event_timestamp"].max() < pd.Timestamp("2025-07-01", tz="UTC")
    assert set(events["grp"]) == {"treatment", "control"}
    assert set(events["outcome"]) <= {0, 1}
    assert set(events["converted"]) <= {0, 1}
    assert (events["order_value"] > 0).all()


def test_grp_balanced_and_converted_rate(frames: dict[str, pd.DataFrame]) -> None:
    """Treatment share is roughly 50% and the conversion rate is plausible."""
    events = frames["events"]
    assert 0.45 <= (events["grp"] == "treatment").mean() <= 0.55
    assert 0.15 <= events["converted"].mean() <= 0.45


def test_session_summary_some_after_event(frames: dict[str, pd.DataFrame]) -> None:
    """Some session summaries are stamped after (and most before) their event."""
    merged = frames["session_summary"].merge(
        frames["events"][["session_id", "event_timestamp"]], on="session_id"
    )
    assert len(merged) == N_EVENTS
    after = (merged["feature_timestamp"] > merged["event_timestamp"]).mean()
    assert 0.2 <= after <= 0.4


def test_demographics_first_record_after_first_event(
    frames: dict[str, pd.DataFrame],
) -> None:
    """For some users the first demographics row postdates their first event."""
    first_demo = frames["user_demographics"].groupby("user_id")["feature_timestamp"]
    first_event = frames["events"].groupby("user_id")["event_timestamp"].min()
    joined = pd.concat([first_demo.min(), first_event], axis=1, join="inner")
    late = joined["feature_timestamp"] > joined["event_timestamp"]
    assert late.any()
    assert not late.all()
    counts = frames["user_demographics"]["user_id"].value_counts()
    assert counts.max() == 2
    assert 0.2 <= (counts == 2).mean() <= 0.4


def test_purchase_summary_monotonic(frames: dict[str, pd.DataFrame]) -> None:
    """Cumulative ltv and purchase counts never decrease within a user."""
    summary = frames["user_purchase_summary"].sort_values(
        ["user_id", "feature_timestamp"]
    )
    grouped = summary.groupby("user_id")
    assert (grouped["ltv"].diff().dropna() >= 0).all()
    assert (grouped["total_purchase_count"].diff().dropna() >= 0).all()
    last_event = frames["events"]["event_timestamp"].max()
    assert (grouped["feature_timestamp"].max() > last_event).all()


def test_product_details_price_range(frames: dict[str, pd.DataFrame]) -> None:
    """Prices lie in 5..500 and every product has a record before any event."""
    products = frames["product_details"]
    assert products["price"].between(5.0, 500.0).all()
    first = products.groupby("product_id")["feature_timestamp"].min()
    assert (first == pd.Timestamp("2024-12-01", tz="UTC")).all()
    assert set(frames["events"]["product_id"]) <= set(products["product_id"])


def test_uplift_effect_visible(frames: dict[str, pd.DataFrame]) -> None:
    """Treatment lifts the outcome rate overall (heterogeneous positive effect)."""
    rates = frames["events"].groupby("grp")["outcome"].mean()
    assert rates["treatment"] > rates["control"] + 0.03


def test_write_sample_data(tmp_path: Path) -> None:
    """Parquet files are written, readable and round-trip the frames."""
    paths = write_sample_data(tmp_path / "raw", n_events=N_EVENTS, seed=7)
    expected = generate_sample_data(n_events=N_EVENTS, seed=7)
    assert set(paths) == set(EXPECTED_COLUMNS)
    for name, path in paths.items():
        assert path == tmp_path / "raw" / f"{name}.parquet"
        assert path.is_file()
        loaded = pd.read_parquet(path)
        _check_schema(name, loaded)
        pd.testing.assert_frame_equal(loaded, expected[name])


def test_main_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI writes all files and prints one line per file with row counts."""
    main(["--out", str(tmp_path), "--events", "500", "--seed", "3"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(EXPECTED_COLUMNS)
    assert any(line.startswith("events: 500 rows") for line in lines)
    for name in EXPECTED_COLUMNS:
        assert (tmp_path / f"{name}.parquet").is_file()
