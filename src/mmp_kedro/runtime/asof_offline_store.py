"""Feast's DuckDB offline store with its point-in-time join done as DuckDB ``ASOF
JOIN``s (why: :mod:`mmp_kedro.runtime`).

Feast's DuckDB store plans ``get_historical_features`` in ibis as an inner join of
every entity row with every feature row of the same key stamped before it, then a
window per entity row keeps the latest. Those candidate pairs grow with each key's
history, and the store re-plans and re-reads it all for every call (every chunk of
a batch window). DuckDB's ``ASOF LEFT JOIN`` picks the latest feature row at or
before each entity row's timestamp directly, by a sort-merge of both sides.

The result is Feast's, row for row: per feature view, the row of the same join keys
with the greatest timestamp at or before the entity row's (ties broken by the
created timestamp, latest first, as Feast's ``deduplicate`` does), its features null
when that row is older than the view's TTL or absent. A call this module does not
translate (another source kind, on-demand views, an entity query instead of a frame,
the created-timestamp cutoff) is answered by Feast's own store, so enabling it never
narrows what the store can do.

Enabled in an env's ``feature_store.yml``: ``offline_store: {type:
mmp_kedro.runtime.asof_offline_store.AsofDuckDBOfflineStore}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from feast.data_format import ParquetFormat
from feast.feature_view import FeatureView
from feast.infra.offline_stores.duckdb import (
    DuckDBOfflineStore,
    DuckDBOfflineStoreConfig,
    _write_data_source,
)
from feast.infra.offline_stores.file_source import FileSource
from feast.infra.offline_stores.offline_store import RetrievalJob, RetrievalMetadata
from feast.infra.offline_stores.offline_utils import (
    infer_event_timestamp_from_entity_df,
)
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import RepoConfig
from pydantic import StrictStr

_ROW = "__asof_entity_row__"
_FEATURE_TS = "__asof_feature_timestamp__"


class AsofDuckDBOfflineStoreConfig(DuckDBOfflineStoreConfig):
    """Feast's DuckDB offline store settings, under this store's type."""

    type: StrictStr = "mmp_kedro.runtime.asof_offline_store.AsofDuckDBOfflineStore"


class AsofDuckDBOfflineStore(DuckDBOfflineStore):
    """Feast's DuckDB offline store, its ``get_historical_features`` an ASOF join."""

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
    ) -> RetrievalJob:
        views = _translatable_views(
            feature_views, feature_refs, entity_df, filter_by_created_timestamp
        )
        if views is None or OnDemandFeatureView.get_requested_odfvs(
            feature_refs, project, registry
        ):
            return DuckDBOfflineStore.get_historical_features(
                config,
                feature_views,
                feature_refs,
                entity_df,
                registry,
                project,
                full_feature_names,
                filter_by_created_timestamp,
            )
        assert isinstance(entity_df, pd.DataFrame)
        event_timestamp = infer_event_timestamp_from_entity_df(
            dict(zip(entity_df.columns, entity_df.dtypes, strict=True))
        )
        return AsofRetrievalJob(
            entity_df=entity_df,
            event_timestamp=event_timestamp,
            views=[
                _ViewRead.of(view, feature_refs, full_feature_names) for view in views
            ],
            full_feature_names=full_feature_names,
            feature_refs=feature_refs,
            repo_path=str(config.repo_path),
        )


def _translatable_views(
    feature_views: list[FeatureView],
    feature_refs: list[str],
    entity_df: pd.DataFrame | str,
    filter_by_created_timestamp: bool,
) -> list[FeatureView] | None:
    """The views, when every one is a parquet file read this module translates."""
    if not isinstance(entity_df, pd.DataFrame) or filter_by_created_timestamp:
        return None
    for view in feature_views:
        source = view.batch_source
        if not isinstance(source, FileSource) or source.field_mapping:
            return None
        parquet = isinstance(source.file_format, ParquetFormat) or (
            source.file_format is None and source.path.endswith(".parquet")
        )
        if not parquet or "://" in source.path:
            return None
    return feature_views


@dataclass(frozen=True)
class _ViewRead:
    """One feature view's part of the join: its file, keys, timestamps, TTL and the
    feature columns asked for, with the names they get in the result."""

    path: str
    join_keys: dict[str, str]  # feature table column -> entity frame column
    timestamp_field: str
    created_timestamp_column: str | None
    ttl: timedelta | None
    features: dict[str, str]  # feature table column -> result column

    @classmethod
    def of(
        cls, view: FeatureView, feature_refs: list[str], full_feature_names: bool
    ) -> _ViewRead:
        prefix = f"{view.projection.name_to_use()}:"
        base_name = view.projection.name_alias or view.name
        names = [ref.split(":")[1] for ref in feature_refs if ref.startswith(prefix)]
        source = view.batch_source
        return cls(
            path=source.path,
            join_keys=view.projection.join_key_map
            or {column.name: column.name for column in view.entity_columns},
            timestamp_field=source.timestamp_field,
            created_timestamp_column=source.created_timestamp_column or None,
            ttl=view.ttl or None,
            features={
                name: f"{base_name}__{name}" if full_feature_names else name
                for name in names
            },
        )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _view_query(view: _ViewRead, event_timestamp: str, span: RetrievalMetadata) -> str:
    """The view's features for each entity row (``_ROW``), by an ASOF join over the
    feature rows that can be picked: of a key the entity rows have, none stamped
    after the last entity row, none older than the first one's TTL (it would be
    null for every row). Fewer rows to sort: a tenth at 10M events."""
    feature_ts = f"CAST(f.{_quoted(view.timestamp_field)} AS TIMESTAMPTZ)"
    oldest = span.min_event_timestamp - view.ttl if view.ttl else None
    within = " AND ".join(
        [
            *(
                f"f.{_quoted(key)} IN (SELECT {_quoted(entity)} FROM entity_df)"
                for key, entity in view.join_keys.items()
            ),
            f"{feature_ts} <= {_timestamp(span.max_event_timestamp)}",
            *([f"{feature_ts} >= {_timestamp(oldest)}"] if oldest else []),
        ]
    )
    table = f"read_parquet({_sql_string(view.path)})"
    if view.created_timestamp_column:
        # Feast keeps the latest created row among rows stamped at the same time.
        keys = ", ".join(_quoted(key) for key in view.join_keys)
        table = (
            f"(SELECT * FROM {table} QUALIFY row_number() OVER (PARTITION BY {keys}, "
            f"{_quoted(view.timestamp_field)} ORDER BY "
            f"{_quoted(view.created_timestamp_column)} DESC) = 1)"
        )
    entity_columns = ", ".join(
        [_ROW, *(_quoted(column) for column in view.join_keys.values())]
    )
    features = f"SELECT {feature_ts} AS {_FEATURE_TS}, " + ", ".join(
        [
            *(_quoted(key) for key in view.join_keys),
            *(_quoted(feature) for feature in view.features),
        ]
    )
    on = " AND ".join(
        [
            *(
                f"e.{_quoted(entity)} = f.{_quoted(key)}"
                for key, entity in view.join_keys.items()
            ),
            f"e.__ts >= f.{_FEATURE_TS}",
        ]
    )
    fresh = (
        f"f.{_FEATURE_TS} >= e.__ts - to_microseconds("
        f"{int(view.ttl / timedelta(microseconds=1))})"
        if view.ttl
        else "true"
    )
    selected = ", ".join(
        f"CASE WHEN {fresh} THEN f.{_quoted(feature)} END AS {_quoted(result)}"
        for feature, result in view.features.items()
    )
    return (
        f"SELECT e.{_ROW}, {selected} "
        f"FROM (SELECT {entity_columns}, CAST({_quoted(event_timestamp)} AS "
        f"TIMESTAMPTZ) AS __ts FROM entity_df) AS e "
        f"ASOF LEFT JOIN ({features} FROM {table} AS f WHERE {within}) AS f ON {on} "
        f"ORDER BY e.{_ROW}"
    )


def _timestamp(moment: Any) -> str:
    return f"TIMESTAMPTZ {_sql_string(pd.Timestamp(moment).isoformat())}"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class AsofRetrievalJob(RetrievalJob):
    """The entity frame with each view's features, in the frame's row order; the
    joins run when the result is asked for."""

    def __init__(
        self,
        entity_df: pd.DataFrame,
        event_timestamp: str,
        views: list[_ViewRead],
        full_feature_names: bool,
        feature_refs: list[str],
        repo_path: str,
    ) -> None:
        super().__init__()
        self._entity_df = entity_df
        self._event_timestamp = event_timestamp
        self._views = views
        self._full_feature_names = full_feature_names
        self._repo_path = repo_path
        timestamps = pd.to_datetime(entity_df[event_timestamp], utc=True)
        self._metadata = RetrievalMetadata(
            features=feature_refs,
            keys=list(set(entity_df.columns) - {event_timestamp}),
            min_event_timestamp=timestamps.min().to_pydatetime(),
            max_event_timestamp=timestamps.max().to_pydatetime(),
        )

    @property
    def full_feature_names(self) -> bool:
        return self._full_feature_names

    @property
    def on_demand_feature_views(self) -> list[OnDemandFeatureView]:
        return []

    @property
    def metadata(self) -> RetrievalMetadata | None:
        return self._metadata

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._to_arrow_internal(timeout).to_pandas()

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        keys = {key for view in self._views for key in view.join_keys.values()}
        # A pandas frame, not Arrow: DuckDB's ASOF join over a registered Arrow
        # table ran 20-60x slower here (DuckDB 1.5).
        entity_df = self._entity_df[
            [*(c for c in self._entity_df.columns if c in keys), self._event_timestamp]
        ].assign(**{_ROW: range(len(self._entity_df))})
        result = pa.Table.from_pandas(self._entity_df, preserve_index=False)
        # Feast hands the event timestamps back as DuckDB's UTC microseconds.
        at = result.column_names.index(self._event_timestamp)
        result = result.set_column(
            at,
            self._event_timestamp,
            result[at].cast(pa.timestamp("us", tz="UTC")),
        )
        with duckdb.connect() as connection:
            # Naive timestamps are UTC, as Feast reads them.
            connection.execute("SET TimeZone = 'UTC'")
            connection.register("entity_df", entity_df)
            for view in self._views:
                joined = connection.sql(
                    _view_query(view, self._event_timestamp, self._metadata)
                ).to_arrow_table()
                for name in view.features.values():
                    result = result.append_column(name, joined[name])
        return result

    def persist(self, storage: Any, allow_overwrite: bool = False, timeout=None):
        import ibis

        _write_data_source(
            ibis.memtable(self.to_arrow()),
            storage.to_data_source(),
            self._repo_path,
            "overwrite",
            allow_overwrite,
        )
