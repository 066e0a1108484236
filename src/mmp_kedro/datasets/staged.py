"""Outputs written all or nothing: each save goes to a staging name, and only the
node's ``confirms`` (after every output of the node was saved) swaps it in.

A node with two outputs (batch predictions and their intermediates) thus never
leaves one replaced and the other not: if the second save fails, neither target
changes, and ``StagedOutputsHook`` drops what was staged.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from kedro.io import AbstractDataset, DatasetError


def _staging_token() -> str:
    return f"{os.getpid()}_{uuid.uuid4().hex[:8]}"


class StagedParquetDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A local parquet file replaced by an atomic rename on ``confirm``.

    Args:
        filepath: the file readers see.
        save_args: ``DataFrame.to_parquet`` arguments.
        load_args: ``pandas.read_parquet`` arguments.
        metadata: free-form metadata (ignored by Kedro).
    """

    def __init__(
        self,
        filepath: str,
        save_args: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._filepath = Path(filepath)
        self._save_args = {"index": False, **(save_args or {})}
        self._load_args = dict(load_args or {})
        self._staged: Path | None = None
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        return pd.read_parquet(self._filepath, **self._load_args)

    def save(self, data: pd.DataFrame) -> None:
        self.discard()
        staged = self._filepath.with_name(
            f".{self._filepath.name}.staging-{_staging_token()}"
        )
        staged.parent.mkdir(parents=True, exist_ok=True)
        try:
            data.to_parquet(staged, **self._save_args)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        self._staged = staged

    def confirm(self) -> None:
        """Swap the staged file in (one rename on the same file system)."""
        if self._staged is None:
            raise DatasetError(f"nothing staged to confirm for {self._filepath}")
        os.replace(self._staged, self._filepath)
        self._staged = None

    def discard(self) -> None:
        """Drop what was staged and never confirmed."""
        if self._staged is not None:
            self._staged.unlink(missing_ok=True)
            self._staged = None

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "staged": str(self._staged)}


class StagedSQLTableDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A table written to a staging table, which ``confirm`` renames over the target
    in one transaction (PostgreSQL's DDL is transactional).

    Args:
        table_name: the table readers see.
        credentials: ``{con: <SQLAlchemy URL>}``, from ``credentials.yml``.
        save_args: ``DataFrame.to_sql`` arguments (``schema``, ``chunksize``,
            ``method``...); the staging table is always created anew.
        metadata: free-form metadata (ignored by Kedro).
    """

    def __init__(
        self,
        table_name: str,
        credentials: dict[str, Any],
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        if not credentials or not credentials.get("con"):
            raise DatasetError(
                f"StagedSQLTableDataset '{table_name}' needs credentials with a 'con' "
                "SQLAlchemy URL (set it in credentials.yml from an environment variable)"
            )
        self._table = table_name
        self._url = sa.engine.make_url(credentials["con"])
        save_args = dict(save_args or {})
        save_args.pop("if_exists", None)
        self._schema = save_args.pop("schema", None)
        self._save_args = {"index": False, **save_args}
        self._engine: sa.Engine | None = None
        self._staged: str | None = None
        self.metadata = metadata

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self._url, pool_pre_ping=True)
        return self._engine

    def _qualified(self, table: str) -> str:
        quote = self.engine.dialect.identifier_preparer.quote
        return f"{quote(self._schema)}.{quote(table)}" if self._schema else quote(table)

    def load(self) -> pd.DataFrame:
        with self.engine.connect() as connection:
            return pd.read_sql_query(
                sa.text(f"SELECT * FROM {self._qualified(self._table)}"), connection
            )

    def save(self, data: pd.DataFrame) -> None:
        self.discard()
        staged = f"{self._table}__staging_{_staging_token()}"
        try:
            data.to_sql(
                staged,
                self.engine,
                schema=self._schema,
                if_exists="replace",
                **self._save_args,
            )
        except BaseException:
            self._drop(staged)
            raise
        self._staged = staged

    def confirm(self) -> None:
        """Replace the target by the staging table, in one transaction."""
        if self._staged is None:
            raise DatasetError(f"nothing staged to confirm for table {self._table}")
        quote = self.engine.dialect.identifier_preparer.quote
        with self.engine.begin() as connection:
            connection.execute(
                sa.text(f"DROP TABLE IF EXISTS {self._qualified(self._table)}")
            )
            connection.execute(
                sa.text(
                    f"ALTER TABLE {self._qualified(self._staged)} "
                    f"RENAME TO {quote(self._table)}"
                )
            )
        self._staged = None

    def discard(self) -> None:
        """Drop the staging table that was never confirmed."""
        if self._staged is not None:
            self._drop(self._staged)
            self._staged = None

    def _drop(self, table: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.text(f"DROP TABLE IF EXISTS {self._qualified(table)}")
            )

    def _exists(self) -> bool:
        return sa.inspect(self.engine).has_table(self._table, schema=self._schema)

    def _describe(self) -> dict[str, Any]:
        return {
            "table_name": self._table,
            "schema": self._schema,
            "con": self._url.render_as_string(hide_password=True),
            "staged": self._staged,
        }
