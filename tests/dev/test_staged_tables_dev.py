"""``StagedSQLTableDataset`` on the DEV PostgreSQL: the target table is replaced in
one transaction on ``confirm`` and untouched by a staged or failed save."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from kedro.io import DatasetError

from mmp_kedro.datasets import StagedSQLTableDataset

TABLE = "staged_dataset_test"


class Unwritable(pd.DataFrame):
    def to_sql(self, *args, **kwargs):
        raise OSError("disk full")


def _tables(engine: sa.Engine) -> set[str]:
    return {t for t in sa.inspect(engine).get_table_names("public") if TABLE in t}


def test_postgres_swap_on_confirm_only(dev_engine):
    url = dev_engine.url.render_as_string(hide_password=False)
    dataset = StagedSQLTableDataset(TABLE, {"con": url}, {"schema": "public"})
    try:
        dataset.save(pd.DataFrame({"id": [1, 2]}))
        dataset.confirm()
        dataset.save(pd.DataFrame({"id": [3]}))
        assert dataset.load()["id"].tolist() == [1, 2]
        with pytest.raises(DatasetError, match="disk full"):
            dataset.save(Unwritable({"id": [4]}))
        assert dataset.load()["id"].tolist() == [1, 2]
        assert _tables(dev_engine) == {TABLE}
        dataset.save(pd.DataFrame({"id": [5]}))
        dataset.confirm()
        assert dataset.load()["id"].tolist() == [5]
        assert _tables(dev_engine) == {TABLE}
    finally:
        with dev_engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS public.{TABLE}")


def test_postgres_chunks_are_copied_and_appended_until_confirm(dev_engine):
    """``method: copy`` (as conf/dev/catalog.yml has it): every chunk through COPY,
    appended to the staging table; text that COPY would misread is kept as it was."""
    url = dev_engine.url.render_as_string(hide_password=False)
    dataset = StagedSQLTableDataset(
        TABLE, {"con": url}, {"schema": "public", "method": "copy"}
    )
    chunks = [
        pd.DataFrame(
            {
                "user_id": ["u1", "tab\there", None],
                "event_timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", None]),
                "score": [0.5, float("nan"), 1.0],
                "flag": [True, False, True],
            }
        ),
        pd.DataFrame(
            {
                "user_id": ['quote " and \\ and\nnewline'],
                "event_timestamp": pd.to_datetime(["2025-01-03 04:05:06"]),
                "score": [2.0],
                "flag": [False],
            }
        ),
    ]
    try:
        for chunk in chunks:
            dataset.save(chunk)
        assert not dataset.exists()
        dataset.confirm()
        written = dataset.load()
        expected = pd.concat(chunks, ignore_index=True)
        pd.testing.assert_frame_equal(written, expected, check_dtype=False)
        assert _tables(dev_engine) == {TABLE}
    finally:
        with dev_engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS public.{TABLE}")
