"""Staged datasets: a save changes nothing readers see until ``confirm``; a failed or
discarded save leaves nothing behind. Parquet on disk, tables on DuckDB."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from kedro.io import DatasetError

from mmp_kedro.datasets import StagedParquetDataset, StagedSQLTableDataset

OLD = pd.DataFrame({"id": [1, 2], "score": [0.1, 0.2]})
NEW = pd.DataFrame({"id": [3], "score": [0.3]})


class Unwritable(pd.DataFrame):
    def to_parquet(self, *args, **kwargs):
        raise OSError("disk full")

    def to_sql(self, *args, **kwargs):
        raise OSError("disk full")


def test_parquet_save_is_staged_until_confirm(tmp_path):
    target = tmp_path / "out" / "predictions.parquet"
    dataset = StagedParquetDataset(filepath=str(target))
    dataset.save(OLD)
    assert not dataset.exists()
    dataset.confirm()
    pd.testing.assert_frame_equal(dataset.load(), OLD)

    dataset.save(NEW)
    pd.testing.assert_frame_equal(dataset.load(), OLD)
    dataset.confirm()
    pd.testing.assert_frame_equal(dataset.load(), NEW)
    assert [p.name for p in target.parent.iterdir()] == ["predictions.parquet"]


def test_parquet_discard_and_failed_save_leave_the_target_and_no_staging(tmp_path):
    target = tmp_path / "predictions.parquet"
    dataset = StagedParquetDataset(filepath=str(target))
    dataset.save(OLD)
    dataset.confirm()
    dataset.save(NEW)
    dataset.discard()
    with pytest.raises(DatasetError, match="disk full"):
        dataset.save(Unwritable(NEW))
    pd.testing.assert_frame_equal(dataset.load(), OLD)
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.parquet"]
    with pytest.raises(Exception, match="nothing staged"):
        dataset.confirm()


@pytest.fixture
def duckdb_url(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'out.duckdb'}"


def _tables(url: str) -> set[str]:
    return set(sa.inspect(sa.create_engine(url)).get_table_names())


def test_table_save_is_staged_until_confirm(duckdb_url):
    dataset = StagedSQLTableDataset("predictions", {"con": duckdb_url})
    dataset.save(OLD)
    assert not dataset.exists()
    dataset.confirm()
    dataset.save(NEW)
    pd.testing.assert_frame_equal(dataset.load(), OLD)
    dataset.confirm()
    pd.testing.assert_frame_equal(dataset.load(), NEW)
    assert _tables(duckdb_url) == {"predictions"}


def test_table_discard_and_failed_save_leave_the_target_and_no_staging(duckdb_url):
    dataset = StagedSQLTableDataset("predictions", {"con": duckdb_url})
    dataset.save(OLD)
    dataset.confirm()
    dataset.save(NEW)
    dataset.discard()
    with pytest.raises(DatasetError, match="disk full"):
        dataset.save(Unwritable(NEW))
    pd.testing.assert_frame_equal(dataset.load(), OLD)
    assert _tables(duckdb_url) == {"predictions"}


def test_the_description_hides_the_password():
    dataset = StagedSQLTableDataset(
        "predictions", {"con": "postgresql+psycopg://ml:s3cret@127.0.0.1:1/db"}
    )
    assert "s3cret" not in str(dataset)


def test_credentials_without_con_name_the_table():
    with pytest.raises(Exception, match="'predictions' needs credentials with a 'con'"):
        StagedSQLTableDataset("predictions", {})
