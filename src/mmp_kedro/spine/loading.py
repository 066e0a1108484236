"""Loader SQL run on an env's engine, its context parameters bound by the driver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa

from mmp_kedro.spine.fetch import fetch_frames
from mmp_kedro.spine.frames import normalise_event_timestamp
from mmp_kedro.spine.sql import as_subquery, bind_parameter_names, table_names


class SQLQueryError(ValueError):
    """The database refused a query for its bound values (a value of the wrong type
    or format, or SQL the engine does not accept), with the driver's reason."""


#: ``read_parquet('<path>')`` in SQL: a file the statement reads.
_READ_PARQUET = re.compile(r"read_parquet\('([^']+)'\)")


def parquet_paths(sql: str) -> list[str]:
    """The files ``sql`` reads with DuckDB's ``read_parquet('<path>')``."""
    return _READ_PARQUET.findall(sql)


class DataSourceError(ValueError):
    """A data file the loader SQL reads is missing or not whole (a truncated parquet
    file), or another statement of the env's ``spine_loader.init_sql`` failed."""

    def __init__(self, reason: str, files: list[str]):
        named = f" ({', '.join(files)})" if files else ""
        super().__init__(
            f"the env's spine_loader could not read its data{named}: {reason}. "
            "On LOCAL, `make data` writes the sample data; otherwise fix the file or "
            "the catalog's spine_loader"
        )


#: An error of the database, through whichever driver fetched the rows.
DatabaseError = sa.exc.DBAPIError | duckdb.Error


def _reason(err: DatabaseError) -> str:
    original = err.orig if isinstance(err, sa.exc.DBAPIError) else err
    return str(original).strip().splitlines()[0]


#: The database refused the statement or a bound value (through SQLAlchemy, or
#: DuckDB's own errors when its rows are fetched as Arrow).
_REFUSED = (
    sa.exc.DataError,
    sa.exc.ProgrammingError,
    duckdb.DataError,
    duckdb.ProgrammingError,
)


def _refusal(
    err: DatabaseError, sql: str, parameters: dict[str, Any]
) -> Exception | None:
    """What to raise for the database's error running ``sql``; None for an error
    that is not about the statement or its values (raised as it is)."""
    missing = [p for p in parquet_paths(sql) if not Path(p).is_file()]
    if missing:
        return DataSourceError("no such file", missing)
    if not isinstance(err, _REFUSED):
        return None
    return SQLQueryError(
        f"the database refused it with the bound values {parameters}: {_reason(err)}"
    )


class SQLQueryRunner:
    """Runs one SELECT with bound parameters on an engine.

    ``init_sql`` runs before every query; a ``parquet_views`` entry (view name ->
    file) becomes a DuckDB view only for a query that reads that name, so a data
    file no query uses need not exist.
    """

    def __init__(
        self,
        engine: sa.Engine,
        init_sql: list[str],
        parquet_views: dict[str, str] | None = None,
    ):
        self._engine = engine
        self._init_sql = init_sql
        self._parquet_views = {
            name.lower(): path for name, path in (parquet_views or {}).items()
        }

    @property
    def engine(self) -> sa.Engine:
        """The engine queries run on (its URL may hold a password: never log it)."""
        return self._engine

    def query(self, sql: str, parameters: dict[str, Any]) -> pd.DataFrame:
        """The rows of ``sql`` with ``:name`` placeholders bound to ``parameters``.

        Raises:
            SQLQueryError: the database refused the statement or a bound value; the
                message has the driver's reason and the values, never the URL.
        """
        frames = self.query_chunks(sql, parameters, None)
        try:
            return next(frames)
        finally:
            frames.close()

    def query_chunks(
        self, sql: str, parameters: dict[str, Any], chunk_rows: int | None
    ) -> Iterator[pd.DataFrame]:
        """The rows of ``sql`` in frames of at most ``chunk_rows`` rows, read as they
        are consumed (one connection held until the last); at least one frame.

        Raises:
            SQLQueryError: as :meth:`query`, when the first frame is read.
        """
        with self._engine.connect() as connection:
            session_sql = [*self._init_sql, *self._views_read_by(sql)]
            for statement in session_sql:
                try:
                    connection.exec_driver_sql(statement)
                except sa.exc.DBAPIError as err:
                    raise DataSourceError(
                        _reason(err), parquet_paths(statement)
                    ) from None
            try:
                yield from fetch_frames(
                    connection, session_sql, sql, parameters, chunk_rows
                )
            except (sa.exc.DBAPIError, duckdb.Error) as err:
                refusal = _refusal(err, sql, parameters)
                if refusal is None:
                    raise
                raise refusal from None

    def count(self, sql: str, parameters: dict[str, Any]) -> int:
        """How many rows ``sql`` returns (a progress bar's total)."""
        counted = f"SELECT COUNT(*) AS row_count FROM {as_subquery(sql, 'counted')}"
        return int(self.query(counted, parameters)["row_count"].iloc[0])

    def _views_read_by(self, sql: str) -> list[str]:
        """``CREATE VIEW`` statements for the ``parquet_views`` that ``sql`` reads.

        Raises:
            DataSourceError: a file behind such a view does not exist.
        """
        read = table_names(sql)
        used = {
            name: path for name, path in self._parquet_views.items() if name in read
        }
        missing = [path for path in used.values() if not Path(path).is_file()]
        if missing:
            raise DataSourceError("no such file", missing)
        return [
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}')"
            for name, path in used.items()
        ]


#: An ISO date-time that ends with a UTC offset or ``Z``.
_OFFSET_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$"
)


def as_utc_bound(value: Any) -> Any:
    """``value``, or the naive UTC datetime it denotes when it carries an offset."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, str) and _OFFSET_DATETIME.match(value.strip()):
        stamp = pd.Timestamp(value.strip()).tz_convert("UTC").tz_localize(None)
        return stamp.to_pydatetime()
    return value


def run_loader_sql(
    spine_loader: SQLQueryRunner, sql: str, parameters: dict[str, Any], source: str
) -> pd.DataFrame:
    """Rows of ``sql``, its ``:name`` placeholders bound from Kedro parameters.

    Values are passed to the driver as parameters, so a value can never change the
    statement (no SQL injection through ``--params``). A timestamp with a UTC offset
    (``2025-03-01 00:00:00+05:00``) is bound as the naive UTC time it denotes, as the
    spine's timestamps are: a ``CAST(... AS TIMESTAMP)`` would drop the offset.

    Raises:
        ValueError: a placeholder has no value, the database refuses a value (naming
            it and the driver's reason), or the result is unusable (no rows, a
            column name twice).
    """
    bound = _bound_values(sql, parameters, source)
    with _explained(source):
        spine = spine_loader.query(sql, bound)
    _check_columns(spine, source)
    if spine.empty:
        raise ValueError(f"{source} returned no rows for {bound}")
    return normalise_event_timestamp(spine)


class SpineChunks:
    """The loader SQL's rows as consecutive frames of at most ``chunk_rows`` rows,
    each read from the database only when iterated (so one is held at a time).

    Iterating runs the query; each frame is checked as :func:`run_loader_sql` checks
    the whole spine, and a result of no rows at all raises the same error.
    """

    def __init__(
        self,
        spine_loader: SQLQueryRunner,
        sql: str,
        parameters: dict[str, Any],
        source: str,
        chunk_rows: int,
    ):
        self._loader = spine_loader
        self._sql = sql
        self._bound = _bound_values(sql, parameters, source)
        self._source = source
        self.chunk_rows = chunk_rows

    def count(self) -> int:
        """The rows the query returns (runs it as a ``COUNT(*)``)."""
        with _explained(self._source):
            return self._loader.count(self._sql, self._bound)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        rows = 0
        with _explained(self._source):
            for chunk in self._loader.query_chunks(
                self._sql, self._bound, self.chunk_rows
            ):
                _check_columns(chunk, self._source)
                if chunk.empty:
                    continue
                rows += len(chunk)
                yield normalise_event_timestamp(chunk)
        if not rows:
            raise ValueError(f"{self._source} returned no rows for {self._bound}")

    def __deepcopy__(self, memo: dict[int, Any]) -> SpineChunks:
        # A query, not data: Kedro's MemoryDataset deep-copies what passes between
        # nodes, and the engine inside must stay shared.
        return self


def _bound_values(sql: str, parameters: dict[str, Any], source: str) -> dict[str, Any]:
    """The values of ``sql``'s placeholders, each UTC offset resolved.

    Raises:
        ValueError: a placeholder has no value.
    """
    names = bind_parameter_names(sql)
    missing = [n for n in names if parameters.get(n) is None]
    if missing:
        raise ValueError(
            f"{source} needs the parameter(s) {missing}: pass them as "
            f"`kedro run ... --params {','.join(f'{n}=<value>' for n in missing)}` or set "
            "them in conf/<env>/parameters.yml"
        )
    return {n: as_utc_bound(parameters[n]) for n in names}


@contextmanager
def _explained(source: str) -> Iterator[None]:
    """The database's refusal of ``source``'s SQL as a ValueError saying what to do."""
    try:
        yield
    except DataSourceError as err:
        raise ValueError(f"{source}: {err}") from None
    except SQLQueryError as err:
        raise ValueError(
            f"{source}: {err}. Check the values passed with `--params` (dates as "
            "YYYY-MM-DD) or set in conf/<env>/parameters.yml"
        ) from None


def _check_columns(spine: pd.DataFrame, source: str) -> None:
    # Each column is looked up by name downstream (entity keys, features, predictions
    # are joined as named columns): two of one name would be ambiguous.
    repeated = sorted(set(spine.columns[spine.columns.duplicated()]))
    if repeated:
        raise ValueError(
            f"{source} returns the column(s) {repeated} more than once: give each "
            "column of the top-level SELECT its own name (alias all but one)"
        )
