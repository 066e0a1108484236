"""``RunSummaryHook``: a training run ends with its summary, read back from MLflow
after the run ended; other pipelines print none."""

from __future__ import annotations

import mlflow
import pytest

from mmp_kedro.artifact import registry
from mmp_kedro.hooks.run_summary import RunSummaryHook
from mmp_kedro.monitoring.performance import AlertThresholds
from mmp_kedro.pipelines.batch_inference import create_pipeline as batch_pipeline
from mmp_kedro.pipelines.train import create_pipeline as train_pipeline

RECIPE = "conversion_classifier"


@pytest.fixture
def catalog(kedro_context):
    return kedro_context(recipe=RECIPE).catalog


def test_a_training_run_ends_with_its_summary(catalog, tracking_store, capsys):
    hook = RunSummaryHook()
    with mlflow.start_run(run_name="my run") as run:
        hook.before_pipeline_run({"env": "dev"}, train_pipeline())
        mlflow.log_metrics({"roc_auc": 0.71234, "log_loss": 0.5, "not_a_metric": 1.0})
    capsys.readouterr()
    hook.after_pipeline_run(catalog)

    out = capsys.readouterr().out
    run_id = run.info.run_id
    assert out.startswith("Training run summary\n")
    assert f"recipe        {RECIPE} (classification)" in out
    assert "run name      my run" in out
    assert f"run id        {run_id}" in out
    assert "status        FINISHED" in out  # read after the run ended
    assert "test metrics  roc_auc 0.7123, log_loss 0.5000\n" in out
    assert f"artifact      runs:/{run_id}/model" in out
    assert (
        f"kedro run --env dev --pipelines batch_inference --params run_id={run_id}\n"
        in out
    )
    assert f"kedro run --env dev --pipelines evaluate --params run_id={run_id}," in out
    assert f"python -m serving --env dev --run-id {run_id} --port 8000" in out


class _Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def test_the_summary_names_the_registered_version_and_its_aliases(
    catalog, tracking_store, capsys
):
    hook = RunSummaryHook()
    with mlflow.start_run() as run:
        hook.before_pipeline_run({"env": "local"}, train_pipeline())
        mlflow.pyfunc.log_model(name="model", python_model=_Echo(), pip_requirements=[])
        mlflow.log_metric("roc_auc", 0.7)
    registry.register_run(run.info.run_id, "mmp-summary", "roc_auc", AlertThresholds())
    hook.after_pipeline_run(catalog)
    out = capsys.readouterr().out
    assert "registered    models:/mmp-summary/1 (@challenger, @champion)\n" in out


def test_the_local_env_needs_no_env_option(catalog, tracking_store, capsys):
    hook = RunSummaryHook()
    with mlflow.start_run():
        hook.before_pipeline_run({"env": None}, train_pipeline())
    hook.after_pipeline_run(catalog)
    out = capsys.readouterr().out
    assert "test metrics  none logged" in out
    assert "--env" not in out


def test_pipelines_other_than_training_print_no_summary(
    catalog, tracking_store, capsys
):
    hook = RunSummaryHook()
    with mlflow.start_run():
        hook.before_pipeline_run({"env": "local"}, batch_pipeline())
    hook.after_pipeline_run(catalog)
    hook.before_pipeline_run({"env": "local"}, train_pipeline())  # no run open
    hook.after_pipeline_run(catalog)
    assert capsys.readouterr().out == ""
