"""`kedro run --pipelines batch_inference_spark` on LOCAL with Spark in ``local[2]``:
the same rows and predictions as the pandas `batch_inference`, for every task."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from project_helpers import EXAMPLE_RECIPES, run_kedro

pytestmark = pytest.mark.e2e

WINDOW = ("2025-02-01", "2025-04-01")
KEYS = ["session_id", "user_id", "product_id", "event_timestamp"]


def _score(project, pipeline: str, run_id: str) -> None:
    result = run_kedro(
        project,
        "--pipelines",
        pipeline,
        "--params",
        f"run_id={run_id},start_date={WINDOW[0]},end_date={WINDOW[1]}",
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


@pytest.mark.parametrize("recipe", EXAMPLE_RECIPES)
def test_spark_scores_what_the_pandas_path_scores(local_project, trained_runs, recipe):
    run_id = trained_runs[recipe]
    outputs = local_project / "data" / "07_model_output"
    shutil.rmtree(outputs / "batch_predictions_spark", ignore_errors=True)

    _score(local_project, "batch_inference", run_id)
    expected = pd.read_parquet(outputs / "batch_predictions.parquet")
    _score(local_project, "batch_inference_spark", run_id)
    written = outputs / "batch_predictions_spark"
    assert (written / "_SUCCESS").exists()  # committed: every task succeeded
    scored = pd.read_parquet(written)

    assert list(scored.columns) == list(expected.columns)
    assert len(scored) == len(expected) > 0
    pd.testing.assert_frame_equal(
        scored.sort_values(KEYS).reset_index(drop=True),
        expected.sort_values(KEYS).reset_index(drop=True),
        check_dtype=False,  # Spark writes timestamps in us, pandas in ns
    )
