"""``run_loader_sql``: a spine with a repeated column name is refused, named."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mmp_kedro.datasets.sql_engine import SQLQueryRunner
from mmp_kedro.pipelines.spine.nodes import run_loader_sql

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
