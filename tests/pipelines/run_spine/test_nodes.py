"""``require_run_id``: the run to work from, by run id or by a registered version
resolved once; clear errors for both, neither, or an unknown name or alias."""

from __future__ import annotations

import mlflow
import pytest

from mmp_kedro.artifact import registry
from mmp_kedro.monitoring.performance import AlertThresholds
from mmp_kedro.pipelines.run_spine.nodes import require_run_id

MODEL = "mmp-run-spine-test"


class _Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


@pytest.fixture
def champion(tracking_store: mlflow.MlflowClient) -> str:
    """The run id of the champion of ``MODEL`` on a throw-away SQLite registry."""
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="model", python_model=_Echo(), pip_requirements=[])
        mlflow.log_metric("rmse", 3.0)
    registry.register_run(run.info.run_id, MODEL, "rmse", AlertThresholds())
    return run.info.run_id


def test_a_model_uri_resolves_to_its_run_and_says_so(champion, caplog):
    with caplog.at_level("INFO", logger="mmp_kedro"):
        assert require_run_id(None, f" models:/{MODEL}@champion ") == champion
        assert require_run_id("", f"models:/{MODEL}/1") == champion
    assert f"models:/{MODEL}@champion is version 1 of '{MODEL}': run {champion}" in (
        caplog.text
    )
    assert require_run_id(champion, None) == champion


@pytest.mark.parametrize(
    ("run_id", "model_uri", "fragment"),
    [
        ("abc", f"models:/{MODEL}@champion", "pass either run_id (abc) or model_uri"),
        (None, None, "--params model_uri=models:/<name>@champion"),
        (" ", "", "pass its MLflow run id"),
        (None, f"models:/{MODEL}@best", f"model_uri: 'models:/{MODEL}@best': model"),
        (None, "models:/mmp-nowhere@champion", "no registered model 'mmp-nowhere'"),
        (None, f"runs:/{'0' * 32}/model", "is not a registered model's URI"),
    ],
)
def test_both_neither_or_an_unknown_version_is_a_clear_error(
    champion, run_id, model_uri, fragment
):
    with pytest.raises(ValueError) as raised:
        require_run_id(run_id, model_uri)
    assert fragment in str(raised.value)
