"""``run_loader_sql`` on a real DuckDB engine: what it refuses, and how it says so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from mmp_kedro.spine import SQLQueryRunner, run_loader_sql
from mmp_kedro.spine.loading import as_utc_bound

SQL = """
WITH events AS (SELECT 'u1' AS user_id, 'p1' AS product_id),
     profiles AS (SELECT 'u1' AS user_id)
SELECT e.user_id, p.user_id, e.product_id
FROM events e JOIN profiles p ON e.user_id = p.user_id
"""


def test_a_column_name_returned_twice_is_refused() -> None:
    runner = SQLQueryRunner(sa.create_engine("duckdb:///:memory:"), [])
    assert list(runner.query(SQL, {}).columns) == ["user_id", "user_id", "product_id"]
    with pytest.raises(ValueError, match=r"recipes/sql/x\.sql .*\['user_id'\].*alias"):
        run_loader_sql(runner, SQL, {}, "recipes/sql/x.sql")


DATED_SQL = """
SELECT 'u1' AS user_id, CAST(:start_date AS TIMESTAMP) AS event_timestamp
"""


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-13-01", "out of range"),
        ("yesterday", "invalid timestamp field format"),
        (20250101, "INTEGER -> TIMESTAMP"),
    ],
)
def test_a_value_the_database_refuses_is_named_with_its_reason(value, reason) -> None:
    runner = SQLQueryRunner(sa.create_engine("duckdb:///:memory:"), [])
    with pytest.raises(ValueError) as raised:
        run_loader_sql(runner, DATED_SQL, {"start_date": value}, "recipes/sql/x.sql")
    message = str(raised.value)
    assert message.startswith("recipes/sql/x.sql: the database refused it")
    assert f"{{'start_date': {value!r}}}" in message
    assert reason in message
    assert "--params" in message


WINDOW_SQL = """
SELECT user_id, event_timestamp FROM (VALUES
    ('before', TIMESTAMP '2025-02-28 18:59:59'),
    ('after', TIMESTAMP '2025-02-28 19:00:00')
) AS t(user_id, event_timestamp)
WHERE event_timestamp >= CAST(:start_date AS TIMESTAMP)
"""


@pytest.mark.parametrize(
    "start",
    [
        "2025-03-01 00:00:00+05:00",
        "2025-03-01T00:00:00+0500",
        datetime(2025, 3, 1, tzinfo=timezone(timedelta(hours=5))),
        "2025-02-28T19:00:00Z",
    ],
    ids=["offset", "compact offset", "aware datetime", "Z"],
)
def test_a_timestamp_with_an_offset_is_bound_as_utc(start) -> None:
    runner = SQLQueryRunner(sa.create_engine("duckdb:///:memory:"), [])
    spine = run_loader_sql(runner, WINDOW_SQL, {"start_date": start}, "x.sql")
    assert spine["user_id"].tolist() == ["after"]


def test_values_without_an_offset_are_bound_as_given() -> None:
    assert as_utc_bound("2025-03-01") == "2025-03-01"
    assert as_utc_bound("2025-03-01 05:00:00") == "2025-03-01 05:00:00"
    assert as_utc_bound("u-05:00") == "u-05:00"
    assert as_utc_bound(7) == 7


@pytest.mark.parametrize("state", ["missing", "truncated"])
def test_a_missing_or_truncated_data_file_is_named_with_the_fix(tmp_path, state):
    import pandas as pd

    path = tmp_path / "events.parquet"
    if state == "truncated":
        pd.DataFrame({"user_id": ["u1"] * 500}).to_parquet(path)
        path.write_bytes(path.read_bytes()[:200])
    runner = SQLQueryRunner(
        sa.create_engine("duckdb:///:memory:"), [], {"events": str(path)}
    )
    with pytest.raises(ValueError) as raised:
        run_loader_sql(runner, "SELECT * FROM events", {}, "recipes/sql/x.sql")
    message = str(raised.value)
    assert message.startswith(
        f"recipes/sql/x.sql: the env's spine_loader could not read its data ({path})"
    )
    assert "`make data`" in message
    assert ("no such file" if state == "missing" else "magic bytes") in message
    assert "\n" not in message


def test_a_view_over_a_missing_file_matters_only_to_sql_that_reads_it(tmp_path):
    """LOCAL's ``events`` view over absent sample data does not stop a loader SQL
    that reads its own file."""
    import pandas as pd

    own = tmp_path / "own.parquet"
    pd.DataFrame({"user_id": ["u1", "u2"]}).to_parquet(own)
    runner = SQLQueryRunner(
        sa.create_engine("duckdb:///:memory:"),
        [],
        {"events": str(tmp_path / "absent" / "events.parquet")},
    )
    spine = run_loader_sql(
        runner,
        f"WITH events AS (SELECT * FROM read_parquet('{own}')) SELECT * FROM events",
        {},
        "recipes/sql/own.sql",
    )
    assert spine["user_id"].tolist() == ["u1", "u2"]


def test_a_missing_file_the_sql_reads_itself_is_named_with_the_fix(tmp_path):
    absent = tmp_path / "mine.parquet"
    runner = SQLQueryRunner(sa.create_engine("duckdb:///:memory:"), [])
    with pytest.raises(ValueError) as raised:
        run_loader_sql(
            runner, f"SELECT * FROM read_parquet('{absent}')", {}, "recipes/sql/m.sql"
        )
    message = str(raised.value)
    assert message.startswith(
        f"recipes/sql/m.sql: the env's spine_loader could not read its data ({absent})"
        ": no such file"
    )
    assert "`make data`" in message
