"""Point-in-time correctness of ``augment_features`` on the DEV feature store.

Feast's PostgreSQL offline store joins the features of ``uplift_model_exp3`` onto
~500 events of ``public.events``; the result is compared value by value with a
brute-force as-of join written in plain SQL on the same tables: for each spine row
and feature view, the row of the same key with the greatest ``feature_timestamp``
such that ``event - ttl <= feature_timestamp <= event``, or missing if none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from project_helpers import PROJECT_ROOT, plain_values, same_value, view_join_key

from mmp_kedro.feature_store import (
    bind_feature_store,
    feature_store_factory,
    unbind_feature_store,
)
from mmp_kedro.pipelines.augment.nodes import augment_features, resolve_augmenter_config
from mmp_kedro.recipe import load_recipe
from mmp_kedro.spine import normalise_event_timestamp

RECIPE = "uplift_model_exp3"
SPINE_ROWS = 500
#: A deterministic "random" sample: the order of md5(session_id).
SAMPLE = (
    "SELECT * FROM public.events ORDER BY md5(session_id), session_id "
    f"LIMIT {SPINE_ROWS}"
)
KEYS = ["user_id", "product_id", "session_id", "event_timestamp"]


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    """Entities, TTLs and timestamp fields of the feature views."""
    return yaml.safe_load((PROJECT_ROOT / "conf/base/feature_store.yml").read_text())


@pytest.fixture(scope="module")
def augmenter_config() -> dict[str, Any]:
    """The augmenter of ``recipes/uplift_model_exp3.yaml``, resolved as in a run."""
    return resolve_augmenter_config(
        load_recipe(RECIPE, PROJECT_ROOT / "recipes"), "feast"
    )


@pytest.fixture(scope="module")
def dev_store(dev_env: dict[str, str]) -> Iterator[None]:
    """The DEV feature store bound for this module only."""
    bind_feature_store(feature_store_factory(PROJECT_ROOT, "dev"))
    try:
        yield
    finally:
        unbind_feature_store()


@pytest.fixture(scope="module")
def spine(dev_engine: sa.Engine) -> pd.DataFrame:
    """~500 sampled DEV events, ``event_timestamp`` as naive UTC (as the spine node)."""
    with dev_engine.connect() as connection:
        frame = pd.read_sql_query(
            sa.text(f"SELECT {', '.join(KEYS)} FROM ({SAMPLE}) AS s"), connection
        )
    assert len(frame) == SPINE_ROWS and frame["session_id"].is_unique
    return normalise_event_timestamp(frame)


@pytest.fixture(scope="module")
def joined(
    dev_store: None, spine: pd.DataFrame, augmenter_config: dict[str, Any]
) -> pd.DataFrame:
    """``augment_features`` in batch mode on the spine."""
    return augment_features(spine.copy(), augmenter_config, "batch")


def brute_force_sql(
    augmenter_config: dict[str, Any], contract: dict[str, Any], as_of: bool = True
) -> str:
    """One LEFT JOIN LATERAL per feature view over the same sampled events.

    ``as_of=False`` drops the time conditions (the latest row of the key, however
    late or old): the leaky join a point-in-time join must differ from.
    """
    selects, joins = [], []
    for index, group in enumerate(augmenter_config["features"]):
        view = group["feature_namespace"]
        spec = contract["feature_views"][view]
        key, stamp, alias = (
            view_join_key(contract, view),
            spec["timestamp_field"],
            f"v{index}",
        )
        ttl_days = int(spec["ttl_days"])
        assert ttl_days == spec["ttl_days"], f"{view}: a whole number of TTL days"
        conditions = f"""
                  AND f.{stamp} <= e.event_timestamp
                  AND f.{stamp} >= e.event_timestamp - interval '{ttl_days} days'"""
        selects += [f"{alias}.{feature} AS {feature}" for feature in group["features"]]
        joins.append(
            f"""
            LEFT JOIN LATERAL (
                SELECT {", ".join(f"f.{feature}" for feature in group["features"])}
                FROM features.{view} AS f
                WHERE f.{key} = e.{key}{conditions if as_of else ""}
                ORDER BY f.{stamp} DESC
                LIMIT 1
            ) AS {alias} ON TRUE"""
        )
    return f"SELECT e.session_id, {', '.join(selects)}\nFROM ({SAMPLE}) AS e" + "".join(
        joins
    )


def sql_features(engine: sa.Engine, sql: str, spine: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``sql`` aligned with the spine's rows by ``session_id``."""
    with engine.connect() as connection:
        frame = pd.read_sql_query(sa.text(sql), connection)
    assert len(frame) == len(spine)
    return frame.set_index("session_id").loc[spine["session_id"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def expected(
    dev_engine: sa.Engine,
    spine: pd.DataFrame,
    augmenter_config: dict[str, Any],
    contract: dict[str, Any],
) -> pd.DataFrame:
    """The brute-force point-in-time features of the spine's rows."""
    return sql_features(dev_engine, brute_force_sql(augmenter_config, contract), spine)


def test_dev_join_keeps_the_spine(joined: pd.DataFrame, spine: pd.DataFrame) -> None:
    """Same rows in the same order, the spine's columns untouched."""
    assert len(joined) == len(spine)
    pd.testing.assert_frame_equal(
        joined[list(spine.columns)], spine.reset_index(drop=True)
    )


def test_dev_join_matches_brute_force_sql(
    joined: pd.DataFrame, expected: pd.DataFrame, augmenter_config: dict[str, Any]
) -> None:
    """Every feature equals the SQL as-of join: missing where it is missing."""
    names = [f for group in augmenter_config["features"] for f in group["features"]]
    assert list(expected.columns) == names
    mismatches = []
    for feature in names:
        got, wanted = plain_values(joined[feature]), plain_values(expected[feature])
        for row, (actual, want) in enumerate(zip(got, wanted, strict=True)):
            if not same_value(actual, want):
                mismatches.append((row, feature, actual, want))
    assert not mismatches, (
        f"{len(mismatches)} of {len(names) * len(joined)} values differ from the SQL "
        f"join (row, feature, feast, sql), first ones: {mismatches[:10]}"
    )


def test_sample_exercises_found_and_missingplain_values(expected: pd.DataFrame) -> None:
    """The sample is a real test: every feature is found somewhere, some are missing."""
    for feature in expected.columns:
        assert expected[feature].notna().any(), feature
    missing = {feature: int(expected[feature].isna().sum()) for feature in expected}
    assert missing["click_count"] > 0, f"no session summarised late or stale: {missing}"


@pytest.fixture(scope="module")
def leaky(
    dev_engine: sa.Engine,
    spine: pd.DataFrame,
    augmenter_config: dict[str, Any],
    contract: dict[str, Any],
) -> pd.DataFrame:
    """The latest row of each key whatever its time: what a leaky join would give."""
    sql = brute_force_sql(augmenter_config, contract, as_of=False)
    return sql_features(dev_engine, sql, spine)


def test_time_conditions_matter_in_this_sample(
    expected: pd.DataFrame, joined: pd.DataFrame, leaky: pd.DataFrame
) -> None:
    """Ignoring time would change values: the comparison above can catch leakage."""
    for frame in (expected, joined):
        differing = sum(
            not same_value(actual, wanted)
            for feature in leaky.columns
            for actual, wanted in zip(
                plain_values(frame[feature]), plain_values(leaky[feature]), strict=True
            )
        )
        assert differing > 0
