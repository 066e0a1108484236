"""`kedro run --pipelines evaluate --params run_id=...` on LOCAL, end to end.

The classification, regression and clustering figures are checked against
scikit-learn on the predictions batch inference writes for the same run and window
(both pipelines in one `kedro run`): they share the artifact, so they must agree to
the last digit.
"""

from __future__ import annotations

import json
import math
import os

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import _model_registry, _tracking_service
from project_helpers import all_run_ids, run_kedro
from sklearn import metrics as skm

from mmp_kedro.artifact import contract
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


def _output(project, name: str) -> pd.DataFrame:
    return pd.read_parquet(project / "data" / "07_model_output" / f"{name}.parquet")


@pytest.fixture
def local_tracking(local_project, monkeypatch):
    """This process's MLflow reads the LOCAL copy's store (state restored after)."""
    for module, name in (
        (_tracking_service.utils, "_tracking_uri"),
        (_model_registry.utils, "_registry_uri"),
    ):
        monkeypatch.setattr(module, name, getattr(module, name))
    # set, then removed: monkeypatch restores the original state, absent or not
    # (``mlflow.set_tracking_uri`` sets the variable too)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI", ""))
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(f"sqlite:///{local_project / 'mlruns.db'}")


def _classification(project, run_id, batch: pd.DataFrame) -> dict[str, float]:
    target, predicted = batch["converted"], batch["prediction"]
    return {
        "roc_auc": skm.roc_auc_score(target, batch["probability"]),
        "accuracy": skm.accuracy_score(target, predicted),
        "f1": skm.f1_score(target, predicted),
        "precision": skm.precision_score(target, predicted),
        "recall": skm.recall_score(target, predicted),
        "log_loss": skm.log_loss(target, batch["probability"]),
        "brier_score": skm.brier_score_loss(target, batch["probability"]),
        "expected_calibration_error": _expected_calibration_error(
            target.to_numpy(), batch["probability"].to_numpy()
        ),
    }


def _expected_calibration_error(outcome, probability, bins: int = 10) -> float:
    """Written out bin by bin (bin k holds k/bins <= p < (k+1)/bins, 1.0 in the
    last): |observed rate - mean probability|, row-weighted."""
    probability = np.asarray(probability, dtype=np.float64)  # XGBoost's are float32
    which = np.minimum((probability * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        in_bin = which == k
        if in_bin.any():
            gap = abs(outcome[in_bin].mean() - probability[in_bin].mean())
            total += in_bin.sum() * gap
    return total / len(probability)


def _regression(project, run_id, batch: pd.DataFrame) -> dict[str, float]:
    target, predicted = batch["order_value"], batch["prediction"]
    return {
        "rmse": math.sqrt(skm.mean_squared_error(target, predicted)),
        "mae": skm.mean_absolute_error(target, predicted),
        "r2": skm.r2_score(target, predicted),
    }


def _clustering(project, run_id, batch: pd.DataFrame) -> dict[str, float]:
    """Cluster metrics are on the model's inputs: the joined features batch
    inference kept, through the run's own fitted preprocessor."""
    preprocessor = contract.fitted_inputs(contract.load_model(run_id)).preprocessor
    features = preprocessor.transform(_output(project, "batch_intermediates"))
    clusters = batch["cluster"]
    # Below evaluate's 5000-row silhouette sample, the whole window is scored.
    assert len(batch) <= 5000
    return {
        "silhouette": skm.silhouette_score(features, clusters),
        "calinski_harabasz": skm.calinski_harabasz_score(features, clusters),
        "davies_bouldin": skm.davies_bouldin_score(features, clusters),
        "n_clusters": clusters.nunique(),
    }


#: recipe -> (task, the metrics scikit-learn gives on its batch predictions).
BY_TASK = {
    "conversion_classifier": ("classification", _classification),
    "order_value_regression": ("regression", _regression),
    "session_segments": ("clustering", _clustering),
}


@pytest.mark.parametrize("recipe", BY_TASK)
def test_metrics_equal_sklearn_on_batch_predictions_of_the_window(
    local_project, trained_runs, local_tracking, recipe
):
    """One `kedro run` does both: batch inference and evaluate of the same run and
    window, each from the run's artifact alone."""
    task, expected = BY_TASK[recipe]
    run_id = trained_runs[recipe]
    before = all_run_ids(local_project)
    result = _run(local_project, "batch_inference,evaluate", run_id)
    assert result.returncode == 0, result.stderr[-4000:]
    assert all_run_ids(local_project) == before  # reads the run, opens none
    report = _report(local_project)
    assert report["run_id"] == run_id
    assert report["task_type"] == task
    assert report["bound_parameters"] == dict(zip(("start_date", "end_date"), WINDOW))
    assert report["warnings"] == []

    batch = _output(local_project, "batch_predictions")
    assert report["rows"] == len(batch) > 0
    assert set(batch["model_run_id"]) == {run_id}
    wanted = expected(local_project, run_id, batch)
    assert set(TASK_METRICS[task]) <= set(wanted)
    assert report["metrics"] == {
        name: pytest.approx(float(value), rel=1e-9) for name, value in wanted.items()
    }


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
