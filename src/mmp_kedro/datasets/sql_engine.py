"""A catalog entry for "where loader SQL runs": any SQLAlchemy-reachable engine.

The loader is a catalog entry whose ``con`` differs per env (DuckDB over files in
LOCAL, PostgreSQL in DEV, BigQuery in PROD), so a new engine is a catalog entry,
not a code change. Loading it returns a :class:`SQLQueryRunner`; the SQL itself
comes from the recipe (training) or the artifact's snapshot (batch inference), and
its ``:name`` placeholders are always bound by the driver, never spliced.
"""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError

from mmp_kedro.datasets.connection import LazyEngine
from mmp_kedro.spine import SQLQueryRunner


class SQLEngineDataset(AbstractDataset[None, SQLQueryRunner]):
    """``type: mmp_kedro.datasets.SQLEngineDataset`` with ``credentials: {con: ...}``.

    Args:
        credentials: ``{con: <SQLAlchemy URL>}``, from ``credentials.yml``.
        init_sql: statements run on each new connection.
        parquet_views: DuckDB views over parquet files (view name -> path), each
            created only for a query that reads it.
        engine_args: extra ``sqlalchemy.create_engine`` arguments.
        metadata: free-form metadata (ignored by Kedro).

    Building the dataset never connects; ``load()`` returns a runner that connects
    per query.
    """

    def __init__(
        self,
        credentials: dict[str, Any],
        init_sql: list[str] | None = None,
        parquet_views: dict[str, str] | None = None,
        engine_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._engine = LazyEngine(
            credentials, "SQLEngineDataset", **(engine_args or {})
        )
        self._init_sql = list(init_sql or [])
        self._parquet_views = dict(parquet_views or {})
        self.metadata = metadata

    def load(self) -> SQLQueryRunner:
        return SQLQueryRunner(self._engine.get(), self._init_sql, self._parquet_views)

    def save(self, data: None) -> None:
        raise DatasetError("SQLEngineDataset is read-only: it runs loader SQL")

    def _exists(self) -> bool:
        # Configuration, not data: there is always something to load (Kedro warns
        # of a dataset without ``_exists`` on every run).
        return True

    def _describe(self) -> dict[str, Any]:
        # Never the URL itself: it may hold a password.
        return {
            "backend": self._engine.url.get_backend_name(),
            "init_sql": len(self._init_sql),
            "parquet_views": sorted(self._parquet_views),
        }
