"""The entity spine: loader SQL read with sqlglot, run on an env's engine with bound
parameters, and its timestamps normalised."""

from mmp_kedro.spine.frames import (
    EVENT_TIMESTAMP,
    as_naive_utc,
    normalise_event_timestamp,
    positional_index,
)
from mmp_kedro.spine.loading import (
    SpineChunks,
    SQLQueryError,
    SQLQueryRunner,
    run_loader_sql,
)
from mmp_kedro.spine.sql import (
    LoaderSQLError,
    as_subquery,
    bind_parameter_names,
    output_columns,
    parse_loader_sql,
)

__all__ = [
    "EVENT_TIMESTAMP",
    "LoaderSQLError",
    "SQLQueryError",
    "SQLQueryRunner",
    "SpineChunks",
    "as_naive_utc",
    "as_subquery",
    "bind_parameter_names",
    "normalise_event_timestamp",
    "output_columns",
    "parse_loader_sql",
    "positional_index",
    "run_loader_sql",
]
