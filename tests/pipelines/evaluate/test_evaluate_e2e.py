"""`kedro run --pipelines evaluate --params run_id=...` on LOCAL, end to end.

The classification figures are checked against scikit-learn on the predictions batch
inference writes for the same run and window: the two pipelines share the artifact,
so they must agree to the last digit.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from project_helpers import all_run_ids, run_kedro
from sklearn import metrics as skm

from mmp_kedro.recipe.schema import TASK_METRICS

pytestmark = pytest.mark.e2e

WINDOW = ("2025-04-01", "2025-07-01")
PARAMS = f"start_date={WINDOW[0]},end_date={WINDOW[1]}"


def _run(project, pipeline: str, run_id: str):
    return run_kedro(
        project, "--pipelines", pipeline, "--params", f"run_id={run_id},{PARAMS}"
    )


def _report(project) -> dict:
    return json.loads(
        (project / "data" / "08_reporting" / "evaluation.json").read_text()
    )


def test_classification_metrics_equal_sklearn_on_batch_predictions(
    local_project, trained_runs
):
    run_id = trained_runs["conversion_classifier"]
    before = all_run_ids(local_project)
    result = _run(local_project, "evaluate", run_id)
    assert result.returncode == 0, result.stderr[-4000:]
    assert all_run_ids(local_project) == before  # reads the run, opens none
    report = _report(local_project)
    assert report["run_id"] == run_id
    assert report["task_type"] == "classification"
    assert report["bound_parameters"] == dict(zip(("start_date", "end_date"), WINDOW))
    metrics = report["metrics"]
    assert set(metrics) == set(TASK_METRICS["classification"])

    result = _run(local_project, "batch_inference", run_id)
    assert result.returncode == 0, result.stderr[-4000:]
    batch = pd.read_parquet(
        local_project / "data" / "07_model_output" / "batch_predictions.parquet"
    )
    assert report["rows"] == len(batch)
    target = batch["converted"]
    assert metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(target, batch["probability"]), rel=1e-9
    )
    assert metrics["accuracy"] == pytest.approx(
        skm.accuracy_score(target, batch["prediction"]), rel=1e-9
    )
    assert metrics["f1"] == pytest.approx(
        skm.f1_score(target, batch["prediction"]), rel=1e-9
    )


def test_uplift_run_is_scored_against_its_shuffled_baseline(
    local_project, trained_runs
):
    result = _run(local_project, "evaluate", trained_runs["uplift_model_exp3"])
    assert result.returncode == 0, result.stderr[-4000:]
    metrics = _report(local_project)["metrics"]
    assert {"auuc", "qini", "auuc_shuffled_baseline", "ate"} <= set(metrics)
    assert metrics["auuc"] > metrics["auuc_shuffled_baseline"]


def test_evaluate_without_run_id_says_how_to_pass_one(local_project):
    result = run_kedro(local_project, "--pipelines", "evaluate")
    assert result.returncode != 0
    assert "--params run_id=" in result.stderr


def test_a_one_row_window_gives_strict_json_and_a_warning(local_project, trained_runs):
    events = pd.read_parquet(local_project / "data" / "01_raw" / "events.parquet")
    stamps = events["event_timestamp"].dt.tz_convert(None).sort_values()
    single = stamps[~stamps.duplicated(keep=False)].iloc[len(stamps) // 2]
    window = f"start_date={single},end_date={single + pd.Timedelta(microseconds=1)}"
    run_id = trained_runs["uplift_model_exp3"]
    result = run_kedro(
        local_project,
        "--pipelines",
        "evaluate",
        "--params",
        f"run_id={run_id},{window}",
    )
    assert result.returncode == 0, result.stderr[-4000:]

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    text = (local_project / "data" / "08_reporting" / "evaluation.json").read_text()
    report = json.loads(text, parse_constant=refuse)
    assert report["rows"] == 1
    assert report["metrics"]["ate_observed"] is None  # one group: undefined
    (warning,) = report["warnings"]
    assert "only 1 rows in the window, below evaluation.min_rows=100" in warning
    assert warning in result.stdout + result.stderr
