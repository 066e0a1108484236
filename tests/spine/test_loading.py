"""``run_loader_sql`` on a real DuckDB engine: what it refuses, and how it says so."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mmp_kedro.spine import SQLQueryRunner, run_loader_sql

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
