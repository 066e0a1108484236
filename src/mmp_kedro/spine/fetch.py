"""How a query's rows reach pandas: the fast path per engine, kept apart from what the
rows mean.

DuckDB hands its result out as Arrow record batches, and PostgreSQL's through ADBC
(its binary COPY protocol, read by the ADBC driver), so their rows never become
Python objects; other engines go through SQLAlchemy and pandas, with a server-side
cursor when the rows are read in chunks. Only one chunk is held at a time. Either way
the ``:name`` placeholders are bound by the driver: the statement is compiled by
SQLAlchemy for the driver's parameter style, never spliced with values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

#: Arrow -> pandas as SQLAlchemy + pandas gave it: nanosecond timestamps, Python
#: ``date`` objects, NaN for missing numbers.
_TO_PANDAS = {"coerce_temporal_nanoseconds": True, "date_as_object": True}


def _as_pandas(table: pa.Table) -> pd.DataFrame:
    """``table`` with the column types pandas infers from the driver's Python values:
    every integer int64 (float64 with a missing value), every float and decimal
    float64 (pandas' ``coerce_float``), UTC timestamps in ``UTC``."""
    columns = [_pandas_like(_stored(column)) for column in table.columns]
    return pa.table(columns, names=table.column_names).to_pandas(**_TO_PANDAS)


def _stored(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A type Arrow does not know (ADBC's PostgreSQL ``NUMERIC``, ``uuid``...) as the
    text it is stored as."""
    if not isinstance(column.type, pa.OpaqueType):
        return column
    stored = pa.chunked_array(
        [chunk.storage for chunk in column.chunks], column.type.storage_type
    )
    return stored.cast(pa.float64()) if column.type.type_name == "numeric" else stored


def _pandas_like(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_integer(kind):
        return column.cast(pa.int64())
    if pa.types.is_decimal(kind) or pa.types.is_floating(kind):
        return column.cast(pa.float64())
    if pa.types.is_timestamp(kind) and kind.tz in {"Etc/UTC", "GMT", "Etc/GMT"}:
        return column.cast(pa.timestamp(kind.unit, tz="UTC"))
    return column


def fetch_frames(
    connection: sa.Connection,
    session_sql: list[str],
    sql: str,
    parameters: dict[str, Any],
    chunk_rows: int | None,
) -> Iterator[pd.DataFrame]:
    """The rows of ``sql`` as DataFrames of at most ``chunk_rows`` rows (one frame of
    every row when ``chunk_rows`` is None); at least one frame, empty when no row.

    ``connection`` has run ``session_sql`` already; a connection of the driver's own
    (ADBC) runs it again first."""
    if connection.dialect.name == "duckdb":
        yield from _duckdb_frames(connection, sql, parameters, chunk_rows)
        return
    if connection.dialect.name == "postgresql":
        yield from _postgresql_frames(
            connection, session_sql, sql, parameters, chunk_rows
        )
        return
    statement = sa.text(sql)
    if chunk_rows is None:
        yield pd.read_sql_query(statement, connection, params=parameters)
        return
    streaming = connection.execution_options(
        stream_results=True, max_row_buffer=chunk_rows
    )
    frames = pd.read_sql_query(
        statement, streaming, params=parameters, chunksize=chunk_rows
    )
    first = next(frames, None)
    if first is None:
        # pandas yields nothing for an empty result: keep the columns.
        yield pd.read_sql_query(statement, connection, params=parameters)
        return
    yield first
    yield from frames


def _duckdb_frames(
    connection: sa.Connection,
    sql: str,
    parameters: dict[str, Any],
    chunk_rows: int | None,
) -> Iterator[pd.DataFrame]:
    compiled = sa.text(sql).compile(dialect=connection.dialect)
    values = [parameters[name] for name in compiled.positiontup or []]
    cursor = connection.connection.driver_connection.execute(compiled.string, values)
    yield from _frames(cursor.to_arrow_reader(chunk_rows or 1_000_000), chunk_rows)


def _postgresql_frames(
    connection: sa.Connection,
    session_sql: list[str],
    sql: str,
    parameters: dict[str, Any],
    chunk_rows: int | None,
) -> Iterator[pd.DataFrame]:
    # Imported here: only loaders need it, never the artifact (its requirements).
    import adbc_driver_postgresql.dbapi as adbc_postgresql
    from adbc_driver_manager import Error as ADBCError

    # ADBC binds $1, $2...: the same statement compiled for that parameter style.
    dialect = type(connection.dialect)(paramstyle="numeric_dollar")
    compiled = sa.text(sql).compile(dialect=dialect)
    values = [parameters[name] for name in compiled.positiontup or []]
    uri = connection.engine.url.set(drivername="postgresql")
    try:
        with (
            adbc_postgresql.connect(uri.render_as_string(hide_password=False)) as own,
            own.cursor() as cursor,
        ):
            for statement in session_sql:
                cursor.execute(statement)
            cursor.execute(compiled.string, values)
            yield from _frames(cursor.fetch_record_batch(), chunk_rows)
    except ADBCError as err:
        # As SQLAlchemy raises the same DB-API error (DataError, ProgrammingError...).
        raise sa.exc.DBAPIError.instance(
            compiled.string, values, err, ADBCError
        ) from err


def _frames(
    reader: pa.RecordBatchReader, chunk_rows: int | None
) -> Iterator[pd.DataFrame]:
    """The reader's rows in frames of ``chunk_rows`` rows (the last may have fewer;
    all in one when None), whatever the size of the batches it hands out."""
    pending: list[pa.RecordBatch] = []
    held, emitted = 0, False
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while chunk_rows is not None and held >= chunk_rows:
            table = pa.Table.from_batches(pending, reader.schema)
            yield _as_pandas(table.slice(0, chunk_rows))
            emitted = True
            rest = table.slice(chunk_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held or not emitted:
        yield _as_pandas(pa.Table.from_batches(pending, reader.schema))
