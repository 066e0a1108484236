"""Rows fetched as Arrow from DuckDB: the same frames as through SQLAlchemy and
pandas, whole or in chunks, with the values bound by the driver."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from project_helpers import TYPED_PARAMETERS as PARAMETERS
from project_helpers import TYPED_SQL

from mmp_kedro.spine import SpineChunks, SQLQueryRunner


@pytest.fixture
def engine() -> sa.Engine:
    return sa.create_engine("duckdb:///:memory:")


def test_arrow_rows_have_the_types_and_values_pandas_gave_them(engine) -> None:
    with engine.connect() as connection:
        through_pandas = pd.read_sql_query(
            sa.text(TYPED_SQL), connection, params=PARAMETERS
        )
    fetched = SQLQueryRunner(engine, []).query(TYPED_SQL, PARAMETERS)
    pd.testing.assert_frame_equal(fetched, through_pandas)
    assert str(fetched["seen_utc"].dtype) == "datetime64[ns, UTC]"


def test_chunks_concatenate_to_the_whole_and_bind_every_value(engine) -> None:
    runner = SQLQueryRunner(engine, [])
    sql = "SELECT i, 'k' || CAST(i AS VARCHAR) AS key FROM range(10) t(i) WHERE i < :n"
    chunks = list(runner.query_chunks(sql, {"n": 7}, 3))
    assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    pd.testing.assert_frame_equal(
        pd.concat(chunks, ignore_index=True), runner.query(sql, {"n": 7})
    )
    assert runner.count(sql, {"n": 7}) == 7
    # As a loader SQL file may end: with a semicolon, or a comment on the last line.
    assert runner.count(f"{sql};\n", {"n": 7}) == 7
    assert runner.count(f"{sql}\n-- the last line", {"n": 7}) == 7


def test_an_empty_result_keeps_its_columns(engine) -> None:
    runner = SQLQueryRunner(engine, [])
    sql = "SELECT 1 AS a, 'x' AS b WHERE 1 = :never"
    [chunk] = runner.query_chunks(sql, {"never": 0}, 5)
    assert chunk.empty and list(chunk.columns) == ["a", "b"]


def test_spine_chunks_are_read_as_consumed_and_checked_like_the_spine(engine) -> None:
    runner = SQLQueryRunner(engine, [])
    sql = (
        "SELECT 'u' || CAST(i AS VARCHAR) AS user_id, "
        "TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL 1 HOUR AS event_timestamp "
        "FROM range(5) t(i) WHERE i < :n"
    )
    chunks = SpineChunks(runner, sql, {"n": 5}, "loader.sql", 2)
    assert chunks.count() == 5
    frames = list(chunks)
    assert [len(frame) for frame in frames] == [2, 2, 1]
    # tz-aware timestamps become naive UTC, as the whole spine's do.
    assert all(str(f["event_timestamp"].dtype) == "datetime64[us]" for f in frames)
    with pytest.raises(
        ValueError, match=r"loader\.sql returned no rows for \{'n': 0\}"
    ):
        list(SpineChunks(runner, sql, {"n": 0}, "loader.sql", 2))
    with pytest.raises(
        ValueError, match=r"loader\.sql needs the parameter\(s\) \['n'\]"
    ):
        SpineChunks(runner, sql, {}, "loader.sql", 2)
