"""`kedro run --pipelines batch_inference --params run_id=...` on LOCAL, end to end."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml
from project_helpers import run_kedro

pytestmark = pytest.mark.e2e

WINDOW = ("2025-02-01", "2025-04-01")


def _events_in_window(project) -> pd.DataFrame:
    events = pd.read_parquet(project / "data" / "01_raw" / "events.parquet")
    stamps = events["event_timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
    return events[(stamps >= WINDOW[0]) & (stamps < WINDOW[1])]


OUTPUTS = ("batch_predictions.parquet", "batch_intermediates.parquet")


@pytest.fixture(scope="module")
def scored_window(local_project, trained_runs) -> str:
    """The uplift run's batch inference of WINDOW, written once for this module."""
    run_id = trained_runs["uplift_model_exp3"]
    for name in OUTPUTS:
        (local_project / "data" / "07_model_output" / name).unlink(missing_ok=True)
    result = run_kedro(
        local_project,
        "--pipelines",
        "batch_inference",
        "--params",
        f"run_id={run_id},start_date={WINDOW[0]},end_date={WINDOW[1]}",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return run_id


def _written(project) -> dict[str, bytes]:
    outputs = project / "data" / "07_model_output"
    return {name: (outputs / name).read_bytes() for name in OUTPUTS}


def test_batch_inference_writes_one_prediction_per_spine_row(
    local_project, scored_window
):
    run_id = scored_window
    output = local_project / "data" / "07_model_output" / "batch_predictions.parquet"
    predictions = pd.read_parquet(output)
    expected = _events_in_window(local_project)
    assert len(predictions) == len(expected)
    assert set(predictions["session_id"]) == set(expected["session_id"])
    assert predictions["uplift_score"].notna().all()
    assert (predictions["model_run_id"] == run_id).all()

    intermediates = pd.read_parquet(
        local_project / "data" / "07_model_output" / "batch_intermediates.parquet"
    )
    assert len(intermediates) == len(expected)
    assert {"age", "ltv", "price", "click_count"} <= set(intermediates.columns)


def test_context_params_cannot_inject_sql(local_project, scored_window):
    """A malicious value is bound as data: the query fails on it, nothing else runs."""
    before = _written(local_project)
    malicious = "2025-04-01' OR '1'='1"
    result = run_kedro(
        local_project,
        "--pipelines",
        "batch_inference",
        "--params",
        f"run_id={scored_window},end_date={malicious}",
    )
    assert result.returncode != 0
    # The value reached the database as one bound value, which its cast refused...
    assert "the database refused it with the bound values" in result.stderr
    assert "'end_date': \"2025-04-01' OR '1'='1\"" in result.stderr
    assert "invalid timestamp field format" in result.stderr
    assert _written(local_project) == before  # ...and no predictions were written


def test_batch_inference_without_run_id_says_how_to_pass_one(local_project):
    result = run_kedro(local_project, "--pipelines", "batch_inference")
    assert result.returncode != 0
    assert "--params run_id=" in result.stderr


def test_a_failed_second_write_leaves_both_outputs_as_they_were(
    local_project, scored_window
):
    """batch_intermediates cannot be written (its folder is a file): the run fails,
    batch_predictions is not replaced, and nothing staged is left behind."""
    run_id = scored_window
    outputs = local_project / "data" / "07_model_output"
    before = _written(local_project)

    broken = local_project / "conf" / "broken_output"
    shutil.copytree(local_project / "conf" / "local", broken)
    try:
        (outputs / "not_a_folder").write_text("")
        catalog = yaml.safe_load((broken / "catalog.yml").read_text())
        catalog["batch_intermediates"]["filepath"] = (
            "data/07_model_output/not_a_folder/batch_intermediates.parquet"
        )
        (broken / "catalog.yml").write_text(yaml.safe_dump(catalog))
        result = run_kedro(
            local_project,
            "--env",
            "broken_output",
            "--pipelines",
            "batch_inference",
            "--params",
            f"run_id={run_id},start_date=2025-03-01,end_date=2025-03-15",
        )
    finally:
        shutil.rmtree(broken)
        (outputs / "not_a_folder").unlink()
    assert result.returncode != 0
    assert "batch_intermediates" in result.stderr or "not_a_folder" in result.stderr
    assert _written(local_project) == before
    assert not [p.name for p in outputs.iterdir() if ".staging-" in p.name]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("session_id", ignore_index=True)


def test_scoring_in_chunks_writes_what_scoring_at_once_does(
    local_project, scored_window
):
    """The module's window was scored in one chunk (the default size is larger);
    scored 500 rows at a time, every row, prediction, feature and the drift report
    are the same."""
    outputs = local_project / "data" / "07_model_output"
    reports = local_project / "data" / "08_reporting"
    at_once = {name: pd.read_parquet(outputs / name) for name in OUTPUTS}
    drift_at_once = json.loads((reports / "drift.json").read_text())
    result = run_kedro(
        local_project,
        "--pipelines",
        "batch_inference",
        "--params",
        f"run_id={scored_window},start_date={WINDOW[0]},end_date={WINDOW[1]},"
        "batch_scoring.chunk_rows=500,batch_scoring.progress=log",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rows = len(at_once["batch_predictions.parquet"])
    chunks = -(-rows // 500)
    assert chunks > 2
    assert f"batch inference: chunk {chunks}, {rows:,} of {rows:,} rows" in (
        result.stdout + result.stderr
    )
    for name in OUTPUTS:
        pd.testing.assert_frame_equal(
            _sorted(pd.read_parquet(outputs / name)), _sorted(at_once[name])
        )
    drift_in_chunks = json.loads((reports / "drift.json").read_text())
    assert drift_in_chunks["rows"] == drift_at_once["rows"] == rows
    for name, entry in drift_at_once["features"].items():
        assert drift_in_chunks["features"][name] == pytest.approx(entry), name
    assert drift_in_chunks["prediction"] == pytest.approx(drift_at_once["prediction"])
