"""``ReportTableDataset``: one row per saved report, the latest loaded back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from kedro.io import DatasetError

from mmp_kedro.datasets import ReportTableDataset


@pytest.fixture
def con(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'reports.db'}"


def test_each_report_is_a_row_and_the_latest_is_loaded(con):
    dataset = ReportTableDataset("drift_reports", {"con": con})
    first = {"run_id": "r1", "verdict": "stable", "rows": 10, "features": {"age": {}}}
    second = {"run_id": "r1", "verdict": "drifted", "rows": 12, "drifted": ["age"]}
    dataset.save(first)
    dataset.save(second)

    assert dataset.load() == second
    with sa.create_engine(con).connect() as connection:
        rows = connection.execute(
            sa.text("SELECT run_id, verdict FROM drift_reports ORDER BY written_at")
        ).all()
    assert [tuple(r) for r in rows] == [("r1", "stable"), ("r1", "drifted")]


def test_loading_before_any_report_names_the_table(con):
    with pytest.raises(DatasetError, match="no report has been written to table "):
        ReportTableDataset("drift_reports", {"con": con}).load()


def test_credentials_are_required_and_never_shown():
    with pytest.raises(DatasetError, match="'drift_reports' needs credentials"):
        ReportTableDataset("drift_reports", {})
    dataset = ReportTableDataset(
        "drift_reports", {"con": "postgresql+psycopg://ml:s3cret@127.0.0.1:1/db"}
    )
    assert "s3cret" not in str(dataset)
