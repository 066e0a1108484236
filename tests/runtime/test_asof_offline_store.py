"""The ASOF offline store returns what Feast's own DuckDB offline store returns.

Each case runs ``get_historical_features`` on two Feast stores over the same
registry and parquet files, one with ``type: duckdb`` (Feast's ibis join) and one
with this project's store, and compares the frames: the edge cases of a
point-in-time join (a feature row stamped exactly at the event, one just older than
the TTL, a key with no rows, a null key, repeated entity rows, rows stamped at the
same time told apart by their created timestamp, naive and aware timestamps, two
join keys, a projection's join-key map, full feature names). A call the store does
not translate (here, the created-timestamp cutoff) is answered by Feast's store.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from feast import (
    Entity,
    FeatureService,
    FeatureStore,
    FeatureView,
    Field,
    FileSource,
    RepoConfig,
)
from feast import types as feast_types
from feast.value_type import ValueType

from mmp_kedro.runtime.asof_offline_store import AsofRetrievalJob

ASOF_STORE = "mmp_kedro.runtime.asof_offline_store.AsofDuckDBOfflineStore"
T0 = datetime(2025, 1, 1)


def _at(days: float) -> pd.Timestamp:
    return pd.Timestamp(T0 + timedelta(days=days), tz="UTC")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Feature tables with the cases above, and their Feast definitions."""
    root = tmp_path_factory.mktemp("asof_store")
    rng = np.random.default_rng(7)
    users = [f"u{i}" for i in range(40)]
    # A history per user at random times, and the hand-made cases.
    history = pd.DataFrame(
        {
            "user_id": rng.choice(users, 600),
            "feature_timestamp": [_at(d) for d in rng.uniform(0, 60, 600)],
            "score": rng.normal(size=600),
            "visits": rng.integers(0, 50, 600),
        }
    )
    cases = pd.DataFrame(
        {
            "user_id": ["exact", "stale", "stale", "edge"],
            "feature_timestamp": [
                _at(30),
                _at(20) - timedelta(seconds=1),
                _at(5),
                _at(20),
            ],
            "score": [1.0, 2.0, 3.0, 4.0],
            "visits": [1, 2, 3, 4],
        }
    )
    pd.concat([history, cases]).to_parquet(root / "user_stats.parquet")
    # Three rows per (user, timestamp), in random created order: the latest created
    # one is Feast's pick.
    tied = [f"u{i}" for i in range(30)]
    created = pd.DataFrame(
        {
            "user_id": np.repeat(tied, 3),
            "feature_timestamp": _at(10),
            "created": [
                _at(10 + hours / 24)
                for _ in tied
                for hours in rng.permutation([1, 2, 3])
            ],
        }
    )
    created["tier"] = np.where(created["created"] == _at(10 + 3 / 24), "new", "old")
    created.to_parquet(root / "user_tiers.parquet")
    pairs = pd.DataFrame(
        {
            "user_id": rng.choice(users[:5], 200),
            "product_id": rng.choice(["p1", "p2", "p3"], 200),
            "feature_timestamp": [_at(d) for d in rng.uniform(0, 60, 200)],
            "affinity": rng.uniform(size=200),
        }
    )
    pairs.to_parquet(root / "user_product.parquet")

    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.STRING)
    product = Entity(
        name="product", join_keys=["product_id"], value_type=ValueType.STRING
    )

    def source(name: str, **kwargs) -> FileSource:
        return FileSource(
            name=f"{name}_source",
            path=str(root / f"{name}.parquet"),
            timestamp_field="feature_timestamp",
            **kwargs,
        )

    definitions = [
        user,
        product,
        FeatureView(
            name="user_stats",
            entities=[user],
            ttl=timedelta(days=10),
            schema=[
                Field(name="score", dtype=feast_types.Float64),
                Field(name="visits", dtype=feast_types.Int64),
            ],
            source=source("user_stats"),
        ),
        FeatureView(
            name="user_tiers",
            entities=[user],
            ttl=timedelta(days=365),
            schema=[Field(name="tier", dtype=feast_types.String)],
            source=source("user_tiers", created_timestamp_column="created"),
        ),
        FeatureView(
            name="user_product",
            entities=[user, product],
            ttl=timedelta(0),  # no TTL
            schema=[Field(name="affinity", dtype=feast_types.Float64)],
            source=source("user_product"),
        ),
    ]
    # A service reading user_stats for entity rows whose user column is "buyer".
    buyers = definitions[2].with_join_key_map({"user_id": "buyer"})
    definitions.append(FeatureService(name="buyers", features=[buyers[["score"]]]))
    _store(root, "duckdb").apply(definitions)
    return root, rng


def _store(root, offline_type: str) -> FeatureStore:
    return FeatureStore(
        repo_path=str(root),
        config=RepoConfig(
            project="asof_test",
            provider="local",
            registry=str(root / "registry.db"),
            offline_store={"type": offline_type},
            online_store={"type": "sqlite", "path": str(root / "online.db")},
            entity_key_serialization_version=3,
        ),
    )


def _entities(rng, rows: int = 300) -> pd.DataFrame:
    users = [f"u{i}" for i in range(45)]  # u40..u44 have no feature rows
    frame = pd.DataFrame(
        {
            "user_id": rng.choice(users, rows).astype(object),
            "product_id": rng.choice(["p1", "p2", "p3", "p9"], rows),
            "event_timestamp": [_at(d) for d in rng.uniform(-5, 70, rows)],
        }
    )
    cases = pd.DataFrame(
        {
            "user_id": ["exact", "stale", "edge", "u1", "u2", None, "u3", "u3"],
            "product_id": ["p1"] * 8,
            "event_timestamp": [
                _at(30),  # a feature row stamped exactly then: picked
                _at(30),  # the latest row is 10 days and 1 s old: expired
                _at(30),  # the latest row is exactly 10 days old: kept
                _at(15),
                _at(30),
                _at(30),  # a null key: no features
                _at(40),  # the same entity row twice
                _at(40),
            ],
        }
    )
    frame = pd.concat([frame, cases], ignore_index=True)
    frame["row"] = range(len(frame))
    return frame


def _both(root, entities: pd.DataFrame, features: list[str], **kwargs):
    return [
        _store(root, kind)
        .get_historical_features(entity_df=entities, features=features, **kwargs)
        .to_df()
        .sort_values("row")
        .reset_index(drop=True)
        for kind in ("duckdb", ASOF_STORE)
    ]


FEATURES = [
    "user_stats:score",
    "user_stats:visits",
    "user_tiers:tier",
    "user_product:affinity",
]


def test_the_join_equals_feasts_own_stores(repo) -> None:
    root, rng = repo
    theirs, ours = _both(root, _entities(rng), FEATURES)

    pd.testing.assert_frame_equal(ours, theirs)
    cases = ours.tail(8).reset_index(drop=True)
    assert cases.loc[0, "score"] == 1.0  # stamped exactly at the event
    assert pd.isna(cases.loc[1, "score"])  # expired
    assert cases.loc[2, "score"] == 4.0  # exactly the TTL old
    assert cases.loc[3:4, "tier"].tolist() == ["new", "new"]  # the latest created
    assert set(ours.loc[ours["event_timestamp"] > _at(10), "tier"].dropna()) == {"new"}
    assert cases.loc[5, ["score", "tier"]].isna().all()  # a null key
    assert cases.loc[6, "score"] == cases.loc[7, "score"]
    assert ours["score"].notna().sum() > 100  # the random rows found features
    assert ours["affinity"].notna().sum() > 10  # two join keys, no TTL


def test_naive_event_timestamps_are_utc_as_in_feast(repo) -> None:
    root, rng = repo
    entities = _entities(rng)
    entities["event_timestamp"] = entities["event_timestamp"].dt.tz_localize(None)

    theirs, ours = _both(root, entities, FEATURES)

    pd.testing.assert_frame_equal(ours, theirs)


def test_full_feature_names_and_a_join_key_map(repo) -> None:
    root, rng = repo
    entities = _entities(rng).rename(columns={"user_id": "buyer"})
    results = []
    for kind in ("duckdb", ASOF_STORE):
        store = _store(root, kind)
        job = store.get_historical_features(
            entity_df=entities,
            features=store.get_feature_service("buyers"),
            full_feature_names=True,
        )
        results.append(job.to_df().sort_values("row").reset_index(drop=True))
    theirs, ours = results

    pd.testing.assert_frame_equal(ours, theirs)
    assert ours["user_stats__score"].notna().sum() > 100


def test_the_store_answers_with_its_own_join(repo) -> None:
    root, rng = repo
    job = _store(root, ASOF_STORE).get_historical_features(
        entity_df=_entities(rng), features=FEATURES
    )
    assert isinstance(job, AsofRetrievalJob)


def test_the_created_timestamp_cutoff_is_answered_by_feasts_store(repo) -> None:
    root, rng = repo
    entities = _entities(rng)
    theirs, ours = _both(
        root, entities, ["user_tiers:tier"], filter_by_created_timestamp=True
    )
    job = _store(root, ASOF_STORE).get_historical_features(
        entity_df=entities,
        features=["user_tiers:tier"],
        filter_by_created_timestamp=True,
    )

    assert not isinstance(job, AsofRetrievalJob)
    pd.testing.assert_frame_equal(ours, theirs)
