"""``ModelRegistryHook``: a FINISHED training run's model registered under its
recipe's name once kedro-mlflow ended the run; a failed run, another pipeline or a
disabled registry registers nothing; a broken config is refused up front."""

from __future__ import annotations

import mlflow
import pytest

from mmp_kedro.artifact import registry
from mmp_kedro.hooks.model_registry import ModelRegistryHook
from mmp_kedro.pipelines.batch_inference import create_pipeline as batch_inference
from mmp_kedro.pipelines.train import create_pipeline as train

RECIPE = "conversion_classifier"
NAME = f"mmp-{RECIPE}"  # conf/base/parameters_registry.yml's template


class _Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def _train(hook: ModelRegistryHook, catalog, status: str = "FINISHED", pipeline=None):
    """What a training session does around the hook: its before_pipeline_run, a run
    with a model and a test metric ended by kedro-mlflow, then after_pipeline_run."""
    hook.before_pipeline_run({"env": "local"}, pipeline or train(), catalog)
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="model", python_model=_Echo(), pip_requirements=[])
        mlflow.log_metric("roc_auc", 0.7)
        if status != "FINISHED":
            mlflow.end_run(status)
    hook.after_pipeline_run(catalog)
    return run.info.run_id


def _versions(client: mlflow.MlflowClient, run_id: str) -> list:
    # Searches leave aliases out: each version is read again for them.
    return [
        client.get_model_version(v.name, v.version)
        for v in client.search_model_versions(f"run_id = '{run_id}'")
    ]


def test_a_finished_run_is_registered_as_champion_and_challenger(
    kedro_context, tracking_store
):
    catalog = kedro_context(recipe=RECIPE).catalog
    run_id = _train(ModelRegistryHook(), catalog)

    (version,) = _versions(tracking_store, run_id)
    assert version.name == NAME
    assert sorted(version.aliases) == [registry.CHALLENGER, registry.CHAMPION]
    assert version.tags[registry.VERDICT_TAG] == "no_champion"
    assert version.tags[registry.RUN_ID_TAG] == run_id


def test_a_failed_run_registers_nothing(kedro_context, tracking_store):
    catalog = kedro_context(recipe=RECIPE).catalog
    for status in ("FAILED", "KILLED"):
        run_id = _train(ModelRegistryHook(), catalog, status=status)
        assert _versions(tracking_store, run_id) == []
    assert tracking_store.search_registered_models() == []


def test_other_pipelines_and_a_disabled_registry_register_nothing(
    kedro_context, tracking_store
):
    run_id = _train(
        ModelRegistryHook(), kedro_context().catalog, pipeline=batch_inference()
    )
    assert _versions(tracking_store, run_id) == []
    disabled = kedro_context(recipe=RECIPE, model_registry={"enabled": False}).catalog
    run_id = _train(ModelRegistryHook(), disabled)
    assert _versions(tracking_store, run_id) == []


def test_the_name_comes_from_conf_when_set(kedro_context, tracking_store):
    catalog = kedro_context(
        recipe=RECIPE, model_registry={"names": {RECIPE: "conversion"}}
    ).catalog
    run_id = _train(ModelRegistryHook(), catalog)
    assert [v.name for v in _versions(tracking_store, run_id)] == ["conversion"]


def test_a_malformed_config_is_refused_before_the_run(kedro_context, tracking_store):
    catalog = kedro_context(
        recipe=RECIPE, model_registry={"name_template": "fixed-name"}
    ).catalog
    with pytest.raises(ValueError) as raised:
        ModelRegistryHook().before_pipeline_run({"env": "local"}, train(), catalog)
    assert str(raised.value).startswith(
        "parameters of env 'local': model_registry.name_template"
    )
