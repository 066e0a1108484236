"""Staged datasets: a save changes nothing readers see until ``confirm``; a failed or
discarded save leaves nothing behind. Parquet on disk, tables on DuckDB."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from kedro.io import DatasetError

from mmp_kedro.datasets import StagedParquetDataset, StagedSQLTableDataset

OLD = pd.DataFrame({"id": [1, 2], "score": [0.1, 0.2]})
NEW = pd.DataFrame({"id": [3], "score": [0.3]})


class Unwritable(pd.DataFrame):
    def to_sql(self, *args, **kwargs):
        raise OSError("disk full")


def full_disk(monkeypatch) -> None:
    """Every parquet row group written from now on fails as on a full disk."""

    def write_table(self, table, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_table)


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


def test_parquet_discard_and_failed_save_leave_the_target_and_no_staging(
    tmp_path, monkeypatch
):
    target = tmp_path / "predictions.parquet"
    dataset = StagedParquetDataset(filepath=str(target))
    dataset.save(OLD)
    dataset.confirm()
    dataset.save(NEW)
    dataset.discard()
    dataset.save(NEW)
    full_disk(monkeypatch)
    with pytest.raises(DatasetError, match="disk full"):
        dataset.save(NEW)
    pd.testing.assert_frame_equal(dataset.load(), OLD)
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.parquet"]
    with pytest.raises(Exception, match="nothing staged"):
        dataset.confirm()


def test_parquet_saves_before_confirm_append_chunk_by_chunk(tmp_path):
    dataset = StagedParquetDataset(filepath=str(tmp_path / "predictions.parquet"))
    for chunk in (OLD, NEW, OLD):
        dataset.save(chunk)
    dataset.confirm()
    pd.testing.assert_frame_equal(
        dataset.load(), pd.concat([OLD, NEW, OLD], ignore_index=True)
    )


def test_a_first_chunk_without_values_takes_a_later_chunks_text(tmp_path):
    dataset = StagedParquetDataset(filepath=str(tmp_path / "predictions.parquet"))
    dataset.save(OLD.assign(country=None))
    dataset.save(NEW.assign(country="KR"))
    dataset.confirm()
    assert dataset.load()["country"].tolist() == [None, None, "KR"]


def test_a_chunk_unlike_the_first_is_refused_naming_it_and_nothing_is_left(tmp_path):
    target = tmp_path / "predictions.parquet"
    dataset = StagedParquetDataset(filepath=str(target))
    dataset.save(OLD)
    with pytest.raises(DatasetError, match=r"chunk 2 has column types .*score"):
        dataset.save(NEW.assign(score="high"))
    with pytest.raises(DatasetError, match=r"chunk 2 has the columns \['id'\]"):
        dataset.save(OLD)
        dataset.save(NEW[["id"]])
    assert list(tmp_path.iterdir()) == []


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


def test_table_saves_before_confirm_append_chunk_by_chunk(duckdb_url):
    dataset = StagedSQLTableDataset("predictions", {"con": duckdb_url})
    dataset.save(OLD)
    dataset.save(NEW)
    dataset.confirm()
    pd.testing.assert_frame_equal(
        dataset.load(), pd.concat([OLD, NEW], ignore_index=True)
    )
    assert _tables(duckdb_url) == {"predictions"}


def test_the_description_hides_the_password():
    dataset = StagedSQLTableDataset(
        "predictions", {"con": "postgresql+psycopg://ml:s3cret@127.0.0.1:1/db"}
    )
    assert "s3cret" not in str(dataset)


def test_credentials_without_con_name_the_table():
    with pytest.raises(Exception, match="'predictions' needs credentials with a 'con'"):
        StagedSQLTableDataset("predictions", {})
