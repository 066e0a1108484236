"""Point-in-time correctness of ``augment_features`` in ``batch`` mode.

The Feast join of the LOCAL store (DuckDB over the sample parquet files) is checked
against a brute-force as-of join written in plain Python: for every spine row and
feature view, the feature row of the same key with the greatest
``feature_timestamp`` such that ``event - ttl <= feature_timestamp <= event``, or
missing when there is none. Nothing stamped after an event may reach that event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from project_helpers import plain_values, same_value, view_join_key

from mmp_kedro.feature_store import (
    bind_feature_store,
    feature_store_factory,
    unbind_feature_store,
)
from mmp_kedro.pipelines.augment.nodes import augment_features, resolve_augmenter_config
from mmp_kedro.recipe import load_recipe
from mmp_kedro.spine import normalise_event_timestamp

RECIPE = "uplift_model_exp3"
SPINE_ROWS = 400
SPINE_SEED = 20250101
#: Extra rows whose event is moved 2 days after the event: past session_summary's
#: 1-day TTL, so its features must be missing there.
STALE_ROWS = 25
#: Exact duplicates of spine rows (same keys and timestamp): each keeps its own row.
DUPLICATE_ROWS = 5


@pytest.fixture(scope="module")
def bound_store(local_project: Path) -> Iterator[Path]:
    """The LOCAL feature store of the project copy, bound for this module only."""
    bind_feature_store(feature_store_factory(local_project, "local"))
    try:
        yield local_project
    finally:
        unbind_feature_store()


@pytest.fixture(scope="module")
def contract(local_project: Path) -> dict[str, Any]:
    """The feature-view contract (entities, TTLs, timestamp field) of the project."""
    return yaml.safe_load((local_project / "conf/base/feature_store.yml").read_text())


@pytest.fixture(scope="module")
def augmenter_config(local_project: Path) -> dict[str, Any]:
    """The augmenter of ``recipes/uplift_model_exp3.yaml``, resolved as in a run."""
    recipe = load_recipe(RECIPE, local_project / "recipes")
    config = resolve_augmenter_config(recipe, "feast")
    namespaces = {group["feature_namespace"] for group in config["features"]}
    assert namespaces == {
        "user_demographics",
        "user_purchase_summary",
        "product_details",
        "session_summary",
    }
    return config


@pytest.fixture(scope="module")
def spine(local_project: Path) -> pd.DataFrame:
    """~400 seeded sample events (shuffled order), some moved past a TTL, some doubled.

    ``event_timestamp`` is naive UTC, as the spine pipeline hands it to augment.
    """
    events = pd.read_parquet(local_project / "data/01_raw/events.parquet")
    picked = events.sample(n=SPINE_ROWS, random_state=SPINE_SEED)
    stale = picked.iloc[:STALE_ROWS].assign(
        event_timestamp=lambda f: f["event_timestamp"] + pd.Timedelta(days=2)
    )
    duplicates = picked.iloc[STALE_ROWS : STALE_ROWS + DUPLICATE_ROWS]
    frame = pd.concat([picked, stale, duplicates])
    frame = frame.sample(frac=1.0, random_state=SPINE_SEED + 1).reset_index(drop=True)
    return normalise_event_timestamp(frame)


@pytest.fixture(scope="module")
def feature_tables(
    local_project: Path, contract: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Each feature view's raw table, ``feature_timestamp`` as naive UTC."""
    tables = {}
    for view, spec in contract["feature_views"].items():
        table = pd.read_parquet(local_project / f"data/01_raw/{view}.parquet")
        stamp = spec["timestamp_field"]
        table[stamp] = table[stamp].dt.tz_convert("UTC").dt.tz_localize(None)
        tables[view] = table
    return tables


@pytest.fixture(scope="module")
def joined(
    bound_store: Path, spine: pd.DataFrame, augmenter_config: dict[str, Any]
) -> pd.DataFrame:
    """``augment_features`` in batch mode on the spine (a copy, to catch mutation)."""
    return augment_features(spine.copy(), augmenter_config, "batch")


def brute_force_join(
    spine: pd.DataFrame,
    augmenter_config: dict[str, Any],
    contract: dict[str, Any],
    tables: dict[str, pd.DataFrame],
) -> pd.DataFrame:
    """The expected features, one Python loop per spine row and feature row."""
    expected: dict[str, list[Any]] = {}
    for group in augmenter_config["features"]:
        view = group["feature_namespace"]
        spec = contract["feature_views"][view]
        key = view_join_key(contract, view)
        stamp = spec["timestamp_field"]
        ttl = timedelta(days=float(spec["ttl_days"]))
        rows_by_key: dict[Any, list[dict[str, Any]]] = {}
        for row in tables[view].to_dict(orient="records"):
            rows_by_key.setdefault(row[key], []).append(row)
        columns: dict[str, list[Any]] = {f: [] for f in group["features"]}
        for event in spine.to_dict(orient="records"):
            when = event["event_timestamp"]
            best = None
            for row in rows_by_key.get(event[key], []):
                if when - ttl <= row[stamp] <= when and (
                    best is None or row[stamp] > best[stamp]
                ):
                    best = row
            for feature in group["features"]:
                columns[feature].append(None if best is None else best[feature])
        expected.update(columns)
    return pd.DataFrame(expected)


def test_batch_join_keeps_rows_and_their_order(
    joined: pd.DataFrame, spine: pd.DataFrame, augmenter_config: dict[str, Any]
) -> None:
    """Row count and order are the spine's; its columns come back untouched."""
    names = [f for group in augmenter_config["features"] for f in group["features"]]
    assert len(joined) == len(spine)
    assert list(joined.columns) == [*spine.columns, *names]
    pd.testing.assert_frame_equal(
        joined[list(spine.columns)], spine.reset_index(drop=True)
    )


def test_batch_join_matches_brute_force_point_in_time(
    joined: pd.DataFrame,
    spine: pd.DataFrame,
    augmenter_config: dict[str, Any],
    contract: dict[str, Any],
    feature_tables: dict[str, pd.DataFrame],
) -> None:
    """Every feature value is the latest one at or before the event, within the TTL."""
    expected = brute_force_join(spine, augmenter_config, contract, feature_tables)
    mismatches = []
    for feature in expected.columns:
        got, wanted = plain_values(joined[feature]), plain_values(expected[feature])
        for row, (a, w) in enumerate(zip(got, wanted, strict=True)):
            if not same_value(a, w):
                mismatches.append((row, feature, a, w))
    assert not mismatches, (
        f"{len(mismatches)} values differ from the brute-force join "
        f"(row, feature, feast, expected), first ones: {mismatches[:10]}"
    )
    # The data exercises both outcomes: found values and missing ones.
    for feature in expected.columns:
        assert expected[feature].notna().any(), feature
    assert expected["age"].isna().any(), "no event precedes a user's first record"


def test_no_joined_value_is_stamped_after_its_event(
    joined: pd.DataFrame,
    spine: pd.DataFrame,
    feature_tables: dict[str, pd.DataFrame],
) -> None:
    """A session whose only summary row is stamped after the event gets no clicks."""
    sessions = feature_tables["session_summary"].set_index("session_id")
    assert sessions.index.is_unique
    stamped = sessions["feature_timestamp"].reindex(spine["session_id"]).to_numpy()
    after = stamped > spine["event_timestamp"].to_numpy()
    assert after.sum() >= 10, "the sample should have sessions summarised late"
    assert joined.loc[after, "click_count"].isna().all()
    assert joined.loc[after, "time_on_page_seconds"].isna().all()
    # The leaky value was there to take: the late rows do carry click counts.
    leaky = sessions["click_count"].reindex(spine.loc[after, "session_id"])
    assert leaky.notna().all()


def test_stale_rows_fall_outside_the_ttl(
    joined: pd.DataFrame,
    spine: pd.DataFrame,
    feature_tables: dict[str, pd.DataFrame],
) -> None:
    """Events over a day after their session's summary get no session features."""
    stamped = (
        feature_tables["session_summary"]
        .set_index("session_id")["feature_timestamp"]
        .reindex(spine["session_id"])
        .to_numpy()
    )
    age = spine["event_timestamp"].to_numpy() - stamped
    stale = age > np.timedelta64(1, "D")
    assert stale.sum() == STALE_ROWS
    assert joined.loc[stale, "click_count"].isna().all()
    # The same rows still get their product's details (a 10-year TTL).
    assert joined.loc[stale, "price"].notna().all()


def test_pass_through_returns_the_spine_unchanged(spine: pd.DataFrame) -> None:
    """A pass-through augmenter touches neither rows nor columns (no store needed)."""
    original = spine.copy()
    result = augment_features(spine, {"type": "pass_through", "features": []}, "batch")
    pd.testing.assert_frame_equal(result, original)
    pd.testing.assert_frame_equal(spine, original)


def test_invalid_run_mode_is_rejected(
    spine: pd.DataFrame, augmenter_config: dict[str, Any]
) -> None:
    """An unknown ``run_mode`` fails with a ValueError naming ``run_mode``."""
    with pytest.raises(ValueError, match="run_mode") as raised:
        augment_features(spine, augmenter_config, "streaming")
    assert "streaming" in str(raised.value)


def test_batch_join_of_a_relabelled_spine_is_the_same_join(
    bound_store: Path,
    spine: pd.DataFrame,
    joined: pd.DataFrame,
    augmenter_config: dict[str, Any],
) -> None:
    """Index labels play no part: a spine labelled otherwise (a filtered frame, say)
    gets the same features row for row, and comes back labelled 0..n-1."""
    relabelled = spine.set_axis(range(10_000, 10_000 + len(spine)))
    result = augment_features(relabelled, augmenter_config, "batch")
    assert result.index.equals(pd.RangeIndex(len(spine)))
    pd.testing.assert_frame_equal(result, joined)
