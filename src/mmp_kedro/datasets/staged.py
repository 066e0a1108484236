"""Outputs written all or nothing: each save goes to a staging name, and only the
node's ``confirms`` (after every output of the node was saved) swaps it in.

A node with two outputs (batch predictions and their intermediates) thus never
leaves one replaced and the other not: if the second save fails, neither target
changes, and ``StagedOutputsHook`` drops what was staged.

A generator node saves once per chunk: each save before ``confirm`` appends to what
is staged, so a window is written chunk by chunk and still appears all at once.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from kedro.io import AbstractDataset, DatasetError

from mmp_kedro.datasets.connection import LazyEngine


def _staging_token() -> str:
    return f"{os.getpid()}_{uuid.uuid4().hex[:8]}"


class StagedParquetDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A local parquet file replaced by an atomic rename on ``confirm``; each save
    before it appends a row group to the staged file.

    Args:
        filepath: the file readers see.
        save_args: ``pyarrow.parquet.ParquetWriter`` arguments (``compression``...).
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
        self._save_args = dict(save_args or {})
        self._load_args = dict(load_args or {})
        self._staged: Path | None = None
        self._writer: pq.ParquetWriter | None = None
        self._chunks = 0
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        return pd.read_parquet(self._filepath, **self._load_args)

    def save(self, data: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(data, preserve_index=False)
        if self._writer is None:
            self._start(table.schema)
        assert self._writer is not None and self._staged is not None
        try:
            self._writer.write_table(self._conformed(table))
        except OSError as err:
            self.discard()
            raise DatasetError(
                f"{self._filepath}: writing chunk {self._chunks + 1} failed, so "
                f"nothing staged was kept and the file is as it was: {err}"
            ) from err
        except BaseException:
            self.discard()
            raise
        self._chunks += 1

    def _start(self, schema: pa.Schema) -> None:
        staged = self._filepath.with_name(
            f".{self._filepath.name}.staging-{_staging_token()}"
        )
        staged.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(staged, _writable(schema), **self._save_args)
        self._staged = staged
        self._chunks = 0

    def _conformed(self, table: pa.Table) -> pa.Table:
        """``table`` in the staged file's schema (a later chunk's all-missing column
        is typed by pandas as the first chunk's was not)."""
        schema = self._writer.schema  # type: ignore[union-attr]
        if table.schema.equals(schema):
            return table
        if table.schema.names != schema.names:
            raise DatasetError(
                f"{self._filepath}: chunk {self._chunks + 1} has the columns "
                f"{table.schema.names}, the first chunk had {schema.names}"
            )
        try:
            return table.cast(schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            differing = [
                f"{name} ({table.schema.field(name).type}, not {schema.field(name).type})"
                for name in schema.names
                if table.schema.field(name).type != schema.field(name).type
            ]
            raise DatasetError(
                f"{self._filepath}: chunk {self._chunks + 1} has column types "
                f"unlike the first chunk's: {', '.join(differing)}: {err}"
            ) from None

    def confirm(self) -> None:
        """Swap the staged file in (one rename on the same file system)."""
        if self._staged is None or self._writer is None:
            raise DatasetError(f"nothing staged to confirm for {self._filepath}")
        self._writer.close()
        os.replace(self._staged, self._filepath)
        self._writer, self._staged = None, None

    def discard(self) -> None:
        """Drop what was staged and never confirmed."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._staged is not None:
            self._staged.unlink(missing_ok=True)
            self._staged = None

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "staged": str(self._staged)}


def _writable(schema: pa.Schema) -> pa.Schema:
    """``schema`` with each all-missing column (Arrow type ``null``) as a string: a
    later chunk with values can then be appended."""
    fields = [
        field.with_type(pa.string()) if pa.types.is_null(field.type) else field
        for field in schema
    ]
    return pa.schema(fields, metadata=schema.metadata)


class StagedSQLTableDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A table written to a staging table, which ``confirm`` renames over the target
    in one transaction (PostgreSQL's DDL is transactional); each save before it
    appends to the staging table.

    Args:
        table_name: the table readers see.
        credentials: ``{con: <SQLAlchemy URL>}``, from ``credentials.yml``.
        save_args: ``DataFrame.to_sql`` arguments (``schema``, ``chunksize``,
            ``method``...); ``method: copy`` writes the rows with PostgreSQL's
            ``COPY ... FROM STDIN`` (psycopg 3). The staging table is always created
            anew by a run's first save.
        metadata: free-form metadata (ignored by Kedro).
    """

    def __init__(
        self,
        table_name: str,
        credentials: dict[str, Any],
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._connection = LazyEngine(
            credentials, f"StagedSQLTableDataset '{table_name}'", pool_pre_ping=True
        )
        self._table = table_name
        save_args = dict(save_args or {})
        save_args.pop("if_exists", None)
        self._schema = save_args.pop("schema", None)
        if save_args.get("method") == "copy":
            save_args["method"] = copy_rows
        self._save_args = {"index": False, **save_args}
        self._staged: str | None = None
        self.metadata = metadata

    @property
    def engine(self) -> sa.Engine:
        return self._connection.get()

    def _qualified(self, table: str) -> str:
        quote = self.engine.dialect.identifier_preparer.quote
        return f"{quote(self._schema)}.{quote(table)}" if self._schema else quote(table)

    def load(self) -> pd.DataFrame:
        with self.engine.connect() as connection:
            return pd.read_sql_query(
                sa.text(f"SELECT * FROM {self._qualified(self._table)}"), connection
            )

    def save(self, data: pd.DataFrame) -> None:
        first = self._staged is None
        staged = self._staged or f"{self._table}__staging_{_staging_token()}"
        try:
            data.to_sql(
                staged,
                self.engine,
                schema=self._schema,
                if_exists="replace" if first else "append",
                **self._save_args,
            )
        except BaseException:
            self._staged = None
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
            "con": self._connection.shown(),
            "staged": self._staged,
        }


def copy_rows(
    table: Any, connection: sa.Connection, keys: list[str], rows: Iterator[tuple]
) -> None:
    """A ``DataFrame.to_sql`` ``method``: the rows through PostgreSQL's ``COPY ...
    FROM STDIN`` (psycopg 3), many times faster than INSERTs."""
    quote = connection.dialect.identifier_preparer.quote
    target = (
        f"{quote(table.schema)}.{quote(table.name)}"
        if table.schema
        else quote(table.name)
    )
    columns = ", ".join(quote(key) for key in keys)
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
