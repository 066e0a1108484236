"""``artifact.contract``: the names it gives are the ones training writes, and a run
without a file says so naming the file and the (redacted) tracking server."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from project_helpers import PROJECT_ROOT

from mmp_kedro.artifact import contract
from mmp_kedro.config.loader import config_loader
from mmp_kedro.pipelines.train import create_pipeline


def test_every_run_file_is_a_catalog_entry_of_the_same_name():
    catalog = config_loader(PROJECT_ROOT, "local")["catalog"]
    for name in contract.RUN_FILES:
        entry = catalog[Path(name).stem]
        assert entry["type"] == "kedro_mlflow.io.artifacts.MlflowArtifactDataset"
        assert Path(entry["dataset"]["filepath"]).name == name
        assert "artifact_path" not in entry  # logged at the run's root


def test_the_fitted_inputs_are_what_the_inference_pipeline_takes_besides_the_spine():
    inference = create_pipeline().inference
    inputs = {
        name
        for name in inference.inputs()
        if name != "spine" and not name.startswith("params:")
    }
    assert inputs == set(contract.FITTED_INPUTS)


def test_the_model_uri_is_the_runs_model_path():
    assert contract.model_uri("abc") == f"runs:/abc/{contract.MODEL_ARTIFACT_PATH}"


def test_a_missing_file_is_named_with_the_tracking_server(tracking_store):
    with mlflow.start_run() as run:
        pass
    with pytest.raises(ValueError) as raised:
        contract.read_run_text(run.info.run_id, contract.LOADER_SQL_SNAPSHOT)
    message = str(raised.value)
    assert f"run '{run.info.run_id}' has no loader_sql_snapshot.sql" in message
    assert "kedro run --pipelines train" in message


def test_an_unknown_run_is_named_with_the_tracking_server(tracking_store):
    with pytest.raises(ValueError, match=r"run '0{32}' does not exist on the MLflow"):
        contract.require_finished_run("0" * 32)


@pytest.mark.parametrize("status", ["FAILED", "KILLED", "RUNNING"])
def test_a_run_that_did_not_finish_is_refused_with_its_reason(tracking_store, status):
    run = tracking_store.create_run(
        tracking_store.get_experiment_by_name("tests").experiment_id
    )
    tracking_store.set_tag(
        run.info.run_id, contract.END_REASON_TAG, "interrupted by SIGINT"
    )
    if status != "RUNNING":
        tracking_store.set_terminated(run.info.run_id, status)
    with pytest.raises(ValueError) as raised:
        contract.require_finished_run(run.info.run_id)
    assert str(raised.value).startswith(
        f"run '{run.info.run_id}' is {status} (interrupted by SIGINT), not FINISHED"
    )


def test_a_finished_run_is_accepted(tracking_store):
    with mlflow.start_run() as run:
        pass
    contract.require_finished_run(run.info.run_id)
