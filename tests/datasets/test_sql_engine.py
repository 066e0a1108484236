"""``SQLEngineDataset``: a catalog entry that runs loader SQL, never shows its URL."""

from __future__ import annotations

import pytest
from kedro.io import DatasetError

from mmp_kedro.datasets import SQLEngineDataset

PASSWORD = "not-a-real-password-0xF00D"


def test_without_a_url_it_says_where_to_set_one() -> None:
    with pytest.raises(DatasetError, match=r"'con' SQLAlchemy URL .*credentials\.yml"):
        SQLEngineDataset(credentials={})


def test_its_description_never_shows_the_password() -> None:
    dataset = SQLEngineDataset(
        credentials={"con": f"postgresql+psycopg://mmp:{PASSWORD}@10.1.2.3:5432/mmp"}
    )
    for shown in (str(dataset), repr(dataset)):
        assert PASSWORD not in shown
        assert "postgresql" in shown


def test_load_runs_bound_sql_after_the_init_statements() -> None:
    dataset = SQLEngineDataset(
        credentials={"con": "duckdb:///:memory:"},
        init_sql=[
            "CREATE OR REPLACE VIEW events AS "
            "SELECT * FROM (VALUES ('u1', 1), ('u2', 2)) AS t(user_id, clicks)"
        ],
    )
    rows = dataset.load().query(
        "SELECT user_id FROM events WHERE clicks > :least", {"least": 1}
    )
    assert rows["user_id"].tolist() == ["u2"]


def test_it_is_read_only() -> None:
    dataset = SQLEngineDataset(credentials={"con": "duckdb:///:memory:"})
    with pytest.raises(DatasetError, match="read-only"):
        dataset.save("rows")  # type: ignore[arg-type]
