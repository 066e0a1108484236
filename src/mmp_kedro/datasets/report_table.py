"""JSON reports kept as rows of a SQL table: the history of a monitored model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from kedro.io import AbstractDataset, DatasetError
from sqlalchemy.dialects.postgresql import JSONB

from mmp_kedro.datasets.connection import LazyEngine


class ReportTableDataset(AbstractDataset[dict[str, Any], dict[str, Any]]):
    """Each save appends one report (a drift report of a scored window) to a table,
    with when it was written, its ``run_id`` and its ``verdict``; ``load`` returns
    the latest. The table is created on the first save.

    One ``INSERT`` per report: a report is in the table whole or not at all.

    Args:
        table_name: the table.
        credentials: ``{con: <SQLAlchemy URL>}``, from ``credentials.yml``.
        schema: the table's schema (the connection's default when absent).
        metadata: free-form metadata (ignored by Kedro).
    """

    def __init__(
        self,
        table_name: str,
        credentials: dict[str, Any],
        schema: str | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._connection = LazyEngine(
            credentials, f"ReportTableDataset '{table_name}'", pool_pre_ping=True
        )
        self._table = sa.Table(
            table_name,
            sa.MetaData(schema=schema),
            sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("run_id", sa.String(64)),
            sa.Column("verdict", sa.String(32)),
            sa.Column("report", sa.JSON().with_variant(JSONB(), "postgresql")),
        )
        self.metadata = metadata

    @property
    def engine(self) -> sa.Engine:
        return self._connection.get()

    def save(self, data: dict[str, Any]) -> None:
        row = {
            "written_at": datetime.now(UTC),
            "run_id": data.get("run_id"),
            "verdict": data.get("verdict"),
            "report": data,
        }
        with self.engine.begin() as connection:
            self._table.create(connection, checkfirst=True)
            connection.execute(self._table.insert(), row)

    def load(self) -> dict[str, Any]:
        latest = (
            sa.select(self._table.c.report)
            .order_by(self._table.c.written_at.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            report = connection.execute(latest).scalar() if self._exists() else None
        if report is None:
            raise DatasetError(f"no report has been written to {self._shown()} yet")
        return report

    def _exists(self) -> bool:
        return sa.inspect(self.engine).has_table(
            self._table.name, schema=self._table.schema
        )

    def _shown(self) -> str:
        name = self._table.name
        table = f"{self._table.schema}.{name}" if self._table.schema else name
        return f"table {table} at {self._connection.shown()}"

    def _describe(self) -> dict[str, Any]:
        return {
            "table_name": self._table.name,
            "schema": self._table.schema,
            "con": self._connection.shown(),
        }
