"""JSON reports kept as rows of a SQL table: the history of a monitored model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from kedro.io import AbstractDataset, DatasetError
from sqlalchemy.dialects.postgresql import JSONB


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
        if not credentials or not credentials.get("con"):
            raise DatasetError(
                f"ReportTableDataset '{table_name}' needs credentials with a 'con' "
                "SQLAlchemy URL (set it in credentials.yml from an environment variable)"
            )
        self._url = sa.engine.make_url(credentials["con"])
        self._table = sa.Table(
            table_name,
            sa.MetaData(schema=schema),
            sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("run_id", sa.String(64)),
            sa.Column("verdict", sa.String(32)),
            sa.Column("report", sa.JSON().with_variant(JSONB(), "postgresql")),
        )
        self._engine: sa.Engine | None = None
        self.metadata = metadata

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self._url, pool_pre_ping=True)
        return self._engine

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
        return f"table {table} at {self._url.render_as_string(hide_password=True)}"

    def _describe(self) -> dict[str, Any]:
        return {
            "table_name": self._table.name,
            "schema": self._table.schema,
            "con": self._url.render_as_string(hide_password=True),
        }
