"""Loader SQL run on an env's engine, its context parameters bound by the driver."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mmp_kedro.spine.frames import normalise_event_timestamp
from mmp_kedro.spine.sql import bind_parameter_names, table_names


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


def _reason(err: sa.exc.DBAPIError) -> str:
    return str(err.orig).strip().splitlines()[0]


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
        with self._engine.connect() as connection:
            for statement in [*self._init_sql, *self._views_read_by(sql)]:
                try:
                    connection.exec_driver_sql(statement)
                except sa.exc.DBAPIError as err:
                    raise DataSourceError(
                        _reason(err), parquet_paths(statement)
                    ) from None
            try:
                return pd.read_sql_query(sa.text(sql), connection, params=parameters)
            except sa.exc.DBAPIError as err:
                reason = _reason(err)
                missing = [p for p in parquet_paths(sql) if not Path(p).is_file()]
                if missing:
                    raise DataSourceError("no such file", missing) from None
                if not isinstance(err, sa.exc.DataError | sa.exc.ProgrammingError):
                    raise
                raise SQLQueryError(
                    f"the database refused it with the bound values {parameters}: "
                    f"{reason}"
                ) from None

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
    names = bind_parameter_names(sql)
    missing = [n for n in names if parameters.get(n) is None]
    if missing:
        raise ValueError(
            f"{source} needs the parameter(s) {missing}: pass them as "
            f"`kedro run ... --params {','.join(f'{n}=<value>' for n in missing)}` or set "
            "them in conf/<env>/parameters.yml"
        )
    try:
        spine = spine_loader.query(sql, {n: as_utc_bound(parameters[n]) for n in names})
    except DataSourceError as err:
        raise ValueError(f"{source}: {err}") from None
    except SQLQueryError as err:
        raise ValueError(
            f"{source}: {err}. Check the values passed with `--params` (dates as "
            "YYYY-MM-DD) or set in conf/<env>/parameters.yml"
        ) from None
    # Each column is looked up by name downstream (entity keys, features, predictions
    # are joined as named columns): two of one name would be ambiguous.
    repeated = sorted(set(spine.columns[spine.columns.duplicated()]))
    if repeated:
        raise ValueError(
            f"{source} returns the column(s) {repeated} more than once: give each "
            "column of the top-level SELECT its own name (alias all but one)"
        )
    if spine.empty:
        raise ValueError(
            f"{source} returned no rows for { ({n: parameters[n] for n in names}) }"
        )
    return normalise_event_timestamp(spine)
