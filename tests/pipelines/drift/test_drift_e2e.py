"""The drift report of `kedro run --pipelines batch_inference` on LOCAL, end to end:
the training window scored again is stable; a copy of the project whose feature
table has one feature shifted reports that feature and no other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from project_helpers import run_kedro

from mmp_kedro.feature_store.__main__ import apply

pytestmark = pytest.mark.e2e

RECIPE = "conversion_classifier"
#: A feature of the recipe and the feature table it is read from.
SHIFTED, TABLE = "age", "user_demographics"


def score(project: Path, run_id: str) -> dict:
    """Batch inference of ``run_id`` over the training window; the drift report."""
    report_file = project / "data" / "08_reporting" / "drift.json"
    report_file.unlink(missing_ok=True)
    result = run_kedro(
        project, "--pipelines", "batch_inference", "--params", f"run_id={run_id}"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(report_file.read_text()), result.stdout + result.stderr


def test_scoring_the_training_window_reports_no_drift(local_project, trained_runs):
    report, log = score(local_project, trained_runs[RECIPE])
    assert report["run_id"] == trained_runs[RECIPE]
    assert report["verdict"] == "stable", report["drifted_features"]
    assert {"age", "country_code", "ltv", "price", "click_count"} <= set(
        report["features"]
    )
    assert report["features"]["country_code"]["kind"] == "categorical"
    assert report["prediction"]["column"] == "probability"
    assert "no drift in" in log


def test_a_shifted_feature_is_the_only_one_reported(
    local_project, trained_runs, tmp_path
):
    project = Path(shutil.copytree(local_project, tmp_path / "project"))
    table = project / "data" / "01_raw" / f"{TABLE}.parquet"
    rows = pd.read_parquet(table)
    rows[SHIFTED] = rows[SHIFTED] + 30
    rows.to_parquet(table, index=False)
    # The copy's Feast registry still names the original tables: point it at its own.
    apply(project, "local", materialize=True)

    report, log = score(project, trained_runs[RECIPE])
    assert report["verdict"] == "drifted"
    assert report["drifted_features"] == [SHIFTED]
    assert report["features"][SHIFTED]["psi"] > report["thresholds"]["psi"]
    assert "WARNING" in log and f"features ['{SHIFTED}']" in log
