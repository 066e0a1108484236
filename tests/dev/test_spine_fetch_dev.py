"""Loader SQL on the DEV PostgreSQL through ADBC (Arrow, no Python object per row):
the same frames as through SQLAlchemy and pandas, whole or in chunks."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from project_helpers import TYPED_PARAMETERS as PARAMETERS
from project_helpers import TYPED_SQL

from mmp_kedro.spine import SQLQueryRunner, run_loader_sql


def test_postgres_rows_have_the_types_and_values_pandas_gave_them(dev_engine):
    with dev_engine.connect() as connection:
        through_pandas = pd.read_sql_query(
            sa.text(TYPED_SQL), connection, params=PARAMETERS
        )
    runner = SQLQueryRunner(dev_engine, [])
    pd.testing.assert_frame_equal(runner.query(TYPED_SQL, PARAMETERS), through_pandas)
    chunks = list(runner.query_chunks(TYPED_SQL, PARAMETERS, 1))
    assert [len(chunk) for chunk in chunks] == [1, 1]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), through_pandas)


def test_postgres_chunks_and_a_refused_value(dev_engine):
    runner = SQLQueryRunner(dev_engine, ["SET TIME ZONE 'UTC'"])
    sql = "SELECT i FROM generate_series(1, 10) AS s(i) WHERE i <= :n"
    assert [len(c) for c in runner.query_chunks(sql, {"n": 7}, 3)] == [3, 3, 1]
    assert runner.count(sql, {"n": 7}) == 7
    with pytest.raises(ValueError, match=r"loader\.sql: the database refused it"):
        run_loader_sql(
            runner,
            "SELECT CAST(:day AS DATE) AS event_timestamp",
            {"day": "2025-13-45"},
            "loader.sql",
        )
